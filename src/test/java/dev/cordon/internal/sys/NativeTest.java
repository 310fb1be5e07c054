package dev.cordon.internal.sys;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared one-shape downcall ({@link Native#call}): int and pointer results, arguments as registers take them. */
class NativeTest {
    @Test
    void pointerResultThroughTheSharedHandle() {
        assertThat(Native.strerror(2)).isEqualTo("No such file or directory");
        assertThat(Native.strerror(13)).isEqualTo("Permission denied");
    }

    @Test
    void intResultAndArgumentsThroughTheSharedHandle() {
        // abs(int): the argument reaches the callee as an int, the int result comes back sign-correct.
        Native.Sym abs = new Native.Sym("abs");
        assertThat(Native.call(abs, -42, 0, 0, 0, 0, 0)).isEqualTo(42);
        // The upper half of a 64-bit register is not part of an int argument.
        assertThat(Native.call(abs, 0x7_0000_0000L - 5, 0, 0, 0, 0, 0)).isEqualTo(5);
    }
}

package dev.cordon;

import dev.cordon.testkit.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;

/** No network unless allowed; TCP ports through Landlock, every other family refused by the seccomp filter. */
class NetworkPolicyTest {
    ServerSocket listener;
    Thread acceptor;

    @BeforeEach
    void listen() throws Exception {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (!listener.isClosed()) {
                try (Socket s = listener.accept()) {
                    s.getOutputStream().write('x');
                } catch (Exception ignored) {
                    // Closed at the end of the test.
                }
            }
        });
    }

    @AfterEach
    void close() throws Exception {
        listener.close();
    }

    private String port() {
        return Integer.toString(listener.getLocalPort());
    }

    @Test
    void tcpConnectIsDeniedWithoutPermission() {
        assertThat(TestKit.probeNative("connect", port()).status()).isEqualTo("OK");
        assertThat(TestKit.probe(Policy.builder(), "connect", port()).status()).isEqualTo("EACCES");
    }

    @Test
    void tcpConnectWorksWhenItsPortIsAllowed() {
        assertThat(TestKit.probe(Policy.builder().tcpConnect(listener.getLocalPort()), "connect", port()).status())
                .isEqualTo("OK");
    }

    @Test
    void tcpConnectToAnotherPortIsDeniedByLandlock() {
        int other = listener.getLocalPort() == 65535 ? 65534 : listener.getLocalPort() + 1;
        assertThat(TestKit.probe(Policy.builder().tcpConnect(other), "connect", port()).status()).isEqualTo("EACCES");
    }

    @Test
    void tcpFastOpenCannotBypassThePortRules() {
        // sendto(MSG_FASTOPEN) connects without going through connect(); it must not reach a forbidden port.
        int other = listener.getLocalPort() == 65535 ? 65534 : listener.getLocalPort() + 1;
        assertThat(TestKit.probeNative("fastopen", port()).status()).isEqualTo("OK");
        assertThat(TestKit.probe(Policy.builder().tcpConnect(other), "fastopen", port()).status()).isEqualTo("EACCES");
    }

    @Test
    void bindIsDeniedUnlessAllowed() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        assertThat(TestKit.probeNative("bind", Integer.toString(free)).status()).isEqualTo("OK");
        assertThat(TestKit.probe(Policy.builder().tcpConnect(free), "bind", Integer.toString(free)).status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(Policy.builder().tcpBind(free), "bind", Integer.toString(free)).status()).isEqualTo("OK");
    }

    @Test
    void otherSocketFamiliesAreDeniedEvenWithTcpAllowed() {
        Policy.Builder tcp = Policy.builder().tcpConnect(listener.getLocalPort());
        assertThat(TestKit.probeNative("socket", "inet", "dgram").status()).isEqualTo("OK");
        assertThat(TestKit.probe(tcp, "socket", "inet", "dgram").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(tcp, "socket", "inet6", "dgram").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(tcp, "socket", "inet", "raw", "1").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(tcp, "socket", "packet", "raw").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(tcp, "socket", "netlink", "raw").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(tcp, "socket", "unix", "stream").status()).isEqualTo("EACCES");
        // SCTP over a stream socket is not TCP.
        assertThat(TestKit.probe(tcp, "socket", "inet", "stream", "132").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(tcp, "socket", "inet", "stream", "6").status()).isEqualTo("OK");
    }

    @Test
    void udpIsDeniedWithoutNetwork() {
        assertThat(TestKit.probe(Policy.builder(), "socket", "inet", "dgram").status()).isEqualTo("EACCES");
        assertThat(TestKit.probe(Policy.builder(), "socket", "inet", "stream").status()).isEqualTo("EACCES");
    }

    @Test
    void unixSocketPairsAreAllowedAndOthersAreNot() {
        assertThat(TestKit.probe(Policy.builder(), "socketpair", "unix").status()).isEqualTo("OK");
        assertThat(TestKit.probe(Policy.builder(), "socketpair", "2").status()).isEqualTo("EACCES");
    }
}

package dev.cordon.cli;

/** Entry point of the {@code cordon} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(0);
    }
}

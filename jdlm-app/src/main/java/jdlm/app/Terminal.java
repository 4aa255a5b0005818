package jdlm.app;

/**
 * Whether output goes to a person at a terminal (so it may redraw and colour) or to a file, a pipe
 * or CI (plain lines only), and the few ANSI sequences the commands use.
 */
final class Terminal {
    static final String DIM = "\u001b[2m";
    static final String BOLD_GREEN = "\u001b[1;32m";
    static final String RESET = "\u001b[0m";
    static final String CLEAR_TO_END = "\u001b[J";

    private Terminal() {}

    /**
     * True when stdin/stdout are a terminal. Since JDK 22 {@code System.console()} is non-null even
     * when output is redirected, so {@code Console.isTerminal()} is what tells.
     */
    static boolean interactive() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal() && System.getenv("CI") == null && !"dumb".equals(System.getenv("TERM"));
    }

    /** Columns to wrap at: $COLUMNS when the shell exports it, else 100. */
    static int columns() {
        try {
            int c = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "100").strip());
            return c >= 20 ? c : 100;
        } catch (NumberFormatException e) {
            return 100;
        }
    }

    /** Moves the cursor to the start of the line {@code lines} up. */
    static String up(int lines) {
        return lines > 0 ? "\u001b[" + lines + "F" : "\r";
    }
}

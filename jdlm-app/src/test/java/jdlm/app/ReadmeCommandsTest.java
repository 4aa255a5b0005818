package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Keeps the README honest: every {@code ./jdlm ...} line in its code blocks must still parse
 * (commands, option names, option values), the repository files it names must exist, and the
 * commands that are quick on the bundled model are run for real. Training and benchmark lines
 * take minutes to hours, so for those parsing is the check; the features behind them have their
 * own tests.
 */
class ReadmeCommandsTest {

    /** Subcommands cheap enough to execute exactly as written on the bundled model. */
    private static final Set<String> RUN_AS_WRITTEN = Set.of("generate", "infill");

    static Path repositoryRoot() {
        return ModelOptions.bundledDefault().getParent().getParent();
    }

    /** The {@code ./jdlm} command lines of the README's fenced code blocks, continuation lines joined. */
    static List<String> commandLines(List<String> readme) {
        List<String> commands = new ArrayList<>();
        boolean inCode = false;
        StringBuilder pending = null;
        for (String raw : readme) {
            if (raw.startsWith("```")) {
                inCode = !inCode;
                continue;
            }
            if (!inCode) continue;
            String line = stripComment(raw).strip();
            if (pending != null) {
                pending.append(' ').append(line);
            } else if (line.matches("^([A-Z_]+=\\S+\\s+)*\\./jdlm\\b.*")) {
                pending = new StringBuilder(line);
            } else {
                continue;
            }
            if (pending.toString().endsWith("\\")) {
                pending.setLength(pending.length() - 1);
                while (!pending.isEmpty() && Character.isWhitespace(pending.charAt(pending.length() - 1))) pending.setLength(pending.length() - 1);
            } else {
                commands.add(pending.toString().strip());
                pending = null;
            }
        }
        return commands;
    }

    /** Drops a trailing shell comment ({@code #} after whitespace, outside quotes). */
    static String stripComment(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') quoted = !quoted;
            if (c == '#' && !quoted && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) return line.substring(0, i);
        }
        return line;
    }

    /** Shell-like split on whitespace with double quotes; leading VAR=value assignments and ./jdlm dropped. */
    static List<String> arguments(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false, any = false;
        for (char c : command.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (any) words.add(w.toString());
                w.setLength(0);
                any = false;
            } else {
                w.append(c);
                any = true;
            }
        }
        if (quoted) throw new IllegalArgumentException("unbalanced quote in README command: " + command);
        if (any) words.add(w.toString());
        while (!words.isEmpty() && words.get(0).matches("[A-Z_]+=.*")) words.remove(0);
        assertEquals("./jdlm", words.remove(0), command);
        return words;
    }

    @Test
    void splittingFollowsTheShell() {
        assertEquals(List.of("generate", "--prompt", "It is a truth", "--length", "16"),
                arguments("X_Y=1 ./jdlm generate --prompt \"It is a truth\" --length 16"));
        assertEquals("./jdlm a ", stripComment("./jdlm a # note"));
        assertEquals("./jdlm a \"#b\"", stripComment("./jdlm a \"#b\""));
        assertEquals(List.of("./jdlm train --data d --out o", "./jdlm eval --model o"),
                commandLines(List.of("text ./jdlm no", "```", "./jdlm train --data d \\", "   --out o   # c", "echo x",
                        "./jdlm eval --model o", "```", "./jdlm outside")));
    }

    @Test
    void everyReadmeCommandParsesAndTheQuickOnesRun() throws Exception {
        Path root = repositoryRoot();
        List<String> commands = commandLines(Files.readAllLines(root.resolve("README.md")));
        assertTrue(commands.size() >= 10, "the README shows its commands (found " + commands.size() + ")");
        int ran = 0;
        for (String command : commands) {
            List<String> args = arguments(command);
            CommandLine.ParseResult parsed;
            try {
                parsed = Main.commandLine().parseArgs(args.toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                fail("README command no longer parses: " + command + "\n  " + e.getMessage());
                return;
            }
            for (int i = 0; i + 1 < args.size(); i++) {
                String value = args.get(i + 1);
                // ../shared holds the corpora beside the checkout (CI has it); without it only models/ can be checked
                boolean shared = value.startsWith("../shared/") && Files.isDirectory(root.resolve("../shared"));
                if (args.get(i).startsWith("--") && (shared || value.startsWith("models/"))) {
                    assertTrue(Files.exists(root.resolve(value)), "README command names a file that is not there: " + value + " in " + command);
                }
            }
            String sub = parsed.subcommand().commandSpec().name();
            boolean ownModel = args.contains("--model");
            if (RUN_AS_WRITTEN.contains(sub) && !ownModel) {
                CommandRun run = CommandRun.of(args.toArray(String[]::new));
                assertEquals(0, run.exit(), "README command fails: " + command + "\n" + run.err());
                assertFalse(run.out().isBlank(), "README command printed nothing: " + command);
                ran++;
            }
        }
        assertTrue(ran >= 3, "the main job and the quick tour commands ran (" + ran + ")");
    }
}

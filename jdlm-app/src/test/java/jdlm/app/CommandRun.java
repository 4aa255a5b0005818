package jdlm.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import jdlm.format.Json;
import picocli.CommandLine;

/** One invocation of the {@code jdlm} command line with its exit code and captured stdout / stderr. */
record CommandRun(int exit, String out, String err) {

    static CommandRun of(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CommandRun(exit, out.toString(), err.toString());
    }

    /** stdout parsed as one JSON object. */
    Map<String, Object> json() {
        if (exit != 0) throw new AssertionError("exit " + exit + ": " + err);
        return Json.parseObject(out.strip(), 1 << 20);
    }
}

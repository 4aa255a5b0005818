package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import jdlm.LoadedModel;
import jdlm.train.Checkpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java examples, compiled and run as written: generation on the bundled model, and a short training run. */
class ReadmeJavaExampleTest {
    @TempDir static Path dir;
    private static URLClassLoader loader;

    /** The README's {@code ```java} blocks. */
    static List<String> javaExamples(List<String> readme) {
        List<String> blocks = new ArrayList<>();
        StringBuilder current = null;
        for (String line : readme) {
            if (current == null && line.equals("```java")) {
                current = new StringBuilder();
            } else if (current != null && line.startsWith("```")) {
                blocks.add(current.toString());
                current = null;
            } else if (current != null) {
                current.append(line).append('\n');
            }
        }
        return blocks;
    }

    @BeforeAll
    static void compile() throws Exception {
        List<String> examples = javaExamples(Files.readAllLines(ReadmeCommandsTest.repositoryRoot().resolve("README.md")));
        assertEquals(2, examples.size(), "the README has two Java examples (Hello, Train)");
        List<Path> files = new ArrayList<>();
        for (String source : examples) {
            Matcher m = Pattern.compile("public class (\\w+)").matcher(source);
            assertTrue(m.find(), "an example declares its public class");
            Path file = dir.resolve(m.group(1) + ".java");
            Files.writeString(file, source);
            files.add(file);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean ok = javac.getTask(diagnostics, null, null, List.of("--add-modules", "jdk.incubator.vector", "-proc:none",
                "-classpath", System.getProperty("java.class.path"), "-d", dir.toString()), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(files.toArray(Path[]::new))).call();
        assertTrue(ok, diagnostics.toString());
        loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, ReadmeJavaExampleTest.class.getClassLoader());
    }

    /** What the example's main printed. */
    private static String run(String example, String... args) throws Exception {
        Method main = loader.loadClass(example).getMethod("main", String[].class);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = System.out;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(out);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helloGeneratesWithTheBundledModel() throws Exception {
        Path model = ModelOptions.bundledDefault();
        String printed = run("Hello", model.toString());
        LoadedModel m = LoadedModel.open(model);
        String greedy = m.complete("It is a truth", 64, m.sampling(32));
        assertTrue(printed.startsWith(greedy + System.lineSeparator()), printed);
        assertTrue(printed.contains("7: "), "one line per step, the eighth included: " + printed);
    }

    @Test
    void trainLearnsAndSavesAModelTheCommandLineOpens() throws Exception {
        Path text = dir.resolve("text.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 400; i++) sb.append("It is a truth universally acknowledged. It is a fine day. ");
        Files.writeString(text, sb);
        Path out = dir.resolve("from-java");
        String printed = run("Train", text.toString(), out.toString());
        Matcher m = Pattern.compile("step (\\d+) loss ([0-9.]+)").matcher(printed);
        List<Double> losses = new ArrayList<>();
        while (m.find()) losses.add(Double.parseDouble(m.group(2)));
        assertEquals(4, losses.size(), printed);
        assertTrue(losses.get(3) < losses.get(0) - 1, "the loss falls on a repetitive text: " + losses);
        assertTrue(Files.isRegularFile(out.resolve(Checkpoint.FILE_NAME)));
        LoadedModel trained = LoadedModel.open(out);
        assertTrue(printed.endsWith(trained.complete("It is a ", 32, trained.sampling(16)) + System.lineSeparator()), printed);
        CommandRun cli = CommandRun.of("generate", "--model", out.toString(), "--prompt", "It is a ", "--length", "8");
        assertEquals(0, cli.exit(), cli.err());
    }
}

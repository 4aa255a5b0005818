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

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import jdlm.LoadedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java example, compiled and run as written, on the bundled model. */
class ReadmeJavaExampleTest {
    @TempDir Path dir;

    /** The README's one {@code ```java} block. */
    static String javaExample(List<String> readme) {
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
        assertEquals(1, blocks.size(), "the README has one Java example");
        return blocks.get(0);
    }

    @Test
    void readmeExampleCompilesAndRuns() throws Exception {
        String source = javaExample(Files.readAllLines(ReadmeCommandsTest.repositoryRoot().resolve("README.md")));
        Path file = dir.resolve("Hello.java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean ok = javac.getTask(diagnostics, null, null, List.of("--add-modules", "jdk.incubator.vector", "-proc:none",
                "-classpath", System.getProperty("java.class.path"), "-d", dir.toString()), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(file)).call();
        assertTrue(ok, diagnostics.toString());

        Path model = ModelOptions.bundledDefault();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass("Hello").getMethod("main", String[].class);
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[] {model.toString()});
        } finally {
            System.setOut(out);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        LoadedModel m = LoadedModel.open(model);
        String greedy = m.complete("It is a truth", 64, m.sampling(32));
        assertTrue(printed.startsWith(greedy + System.lineSeparator()), printed);
        assertTrue(printed.contains("7: "), "one line per step, the eighth included: " + printed);
    }
}

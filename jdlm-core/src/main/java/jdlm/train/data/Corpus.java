package jdlm.train.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The documents of a training text path: one file, or every regular file under a directory.
 *
 * <p>Which files count: all regular files, found recursively (symbolic links followed), except
 * those whose own name or whose directory's name (below the given root) starts with '.' —
 * editor backups, {@code .git} and the like. They are sorted by their path relative to the root
 * (with '/' separators), so the token order is the same on every machine. Each file is one
 * document. Text must be UTF-8; a leading byte-order mark is dropped.
 */
public final class Corpus {
    private final Path root;
    private final List<Path> files;
    private final boolean replaceMalformed;

    private Corpus(Path root, List<Path> files, boolean replaceMalformed) {
        this.root = root;
        this.files = files;
        this.replaceMalformed = replaceMalformed;
    }

    /**
     * Lists the documents of {@code path}. With {@code replaceMalformed}, bytes that are not
     * UTF-8 become U+FFFD; without it they are an error naming the file and byte offset.
     */
    public static Corpus open(Path path, boolean replaceMalformed) {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("corpus path " + path + " does not exist; give a UTF-8 text file"
                    + " or a directory of text files");
        }
        if (Files.isRegularFile(path)) return new Corpus(path, List.of(path), replaceMalformed);
        if (!Files.isDirectory(path)) {
            throw new IllegalArgumentException("corpus path " + path + " is neither a regular file nor a directory");
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(path, FileVisitOption.FOLLOW_LINKS)) {
            walk.filter(p -> Files.isRegularFile(p) && !isHidden(path, p)).forEach(found::add);
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("cannot list corpus directory " + path + ": " + e.getMessage(), e);
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException("corpus directory " + path + " contains no files (files and"
                    + " directories whose names start with '.' are skipped); put UTF-8 text files in it");
        }
        found.sort(Comparator.comparing(p -> relativeName(path, p)));
        return new Corpus(path, List.copyOf(found), replaceMalformed);
    }

    private static boolean isHidden(Path root, Path p) {
        for (Path part : root.relativize(p)) {
            if (part.toString().startsWith(".")) return true;
        }
        return false;
    }

    private static String relativeName(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }

    public Path root() {
        return root;
    }

    /** The documents' files, in corpus order. */
    public List<Path> files() {
        return files;
    }

    public boolean replaceMalformed() {
        return replaceMalformed;
    }

    /** Text of document {@code i}, decoded as this corpus's UTF-8 rule says. */
    public String read(int i) {
        return decode(files.get(i), replaceMalformed);
    }

    /** Reads one file as UTF-8 (one file at a time is held in memory, never the whole corpus). */
    static String decode(Path file, boolean replaceMalformed) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException | OutOfMemoryError e) {
            throw new IllegalArgumentException("cannot read corpus file " + file + ": " + e, e);
        }
        CodingErrorAction action = replaceMalformed ? CodingErrorAction.REPLACE : CodingErrorAction.REPORT;
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(action)
                .onUnmappableCharacter(action);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never has more chars than bytes
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) r = decoder.flush(out);
        if (r.isError()) {
            int at = in.position();
            StringBuilder found = new StringBuilder();
            for (int k = 0; k < r.length() && at + k < bytes.length; k++) {
                found.append(String.format(" 0x%02X", bytes[at + k] & 0xff));
            }
            throw new IllegalArgumentException("corpus file " + file + " is not valid UTF-8: malformed byte"
                    + " sequence at byte offset " + at + " (" + found.toString().strip() + "); convert the file"
                    + " to UTF-8, or replace malformed bytes with U+FFFD (replaceMalformed)");
        }
        out.flip();
        if (out.hasRemaining() && out.get(0) == '\uFEFF') out.position(1);
        return out.toString();
    }
}

package jdlm.train.data;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;
import jdlm.tokenizer.Tokenizer;
import jdlm.tokenizer.TokenizerSpec;

/**
 * A tokenised corpus on disk, written once and then memory-mapped, so corpora larger than RAM
 * can be trained on.
 *
 * <p>Layout, all little-endian:
 * <pre>
 *   0  8 bytes  magic "JDLMTOK\0"
 *   8  int32    version (1)
 *  12  int32    bytes per token: 2 (unsigned 16-bit, when vocabSize ≤ 65536) or 4 (int32)
 *  16  int32    vocabulary size
 *  20  int32    n = length of the tokenizer spec JSON in bytes (≤ 16 MiB: a learned BPE carries its vocabulary)
 *  24  int64    token count
 *  32  int64    document count
 *  40  n bytes  tokenizer spec, UTF-8 JSON ({@link TokenizerSpec#toJson()})
 *      zero padding to the next multiple of 64 = data offset
 *      token count × bytes per token
 * </pre>
 * The file length must be exactly data offset + tokens × width. The token stream is the
 * documents' tokens in corpus order with one EOS between consecutive documents (empty
 * documents are skipped).
 */
public final class TokenFile implements AutoCloseable {
    static final byte[] MAGIC = {'J', 'D', 'L', 'M', 'T', 'O', 'K', 0};
    static final int VERSION = 1;
    static final int FIXED_HEADER = 40;
    static final int MAX_SPEC_BYTES = TokenizerSpec.MAX_JSON_CHARS;
    private static final int ALIGN = 64;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final int width;
    private final int vocabSize;
    private final long tokens;
    private final long documents;
    private final TokenizerSpec tokenizer;

    private TokenFile(Path path, Arena arena, MemorySegment data, int width, int vocabSize, long tokens,
            long documents, TokenizerSpec tokenizer) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.width = width;
        this.vocabSize = vocabSize;
        this.tokens = tokens;
        this.documents = documents;
        this.tokenizer = tokenizer;
    }

    // ---------------------------------------------------------------- writing

    /**
     * Tokenises {@code corpus} one file at a time into {@code out}, written to a temporary file
     * and renamed into place when complete. A corpus without any text is an error.
     */
    public static void write(Corpus corpus, Tokenizer tokenizer, Path out) throws IOException {
        TokenizerSpec spec = tokenizer.spec();
        byte[] specJson = spec.toJson().getBytes(StandardCharsets.UTF_8);
        int width = widthFor(spec.vocabSize());
        long dataOffset = dataOffset(specJson.length);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        long tokens = 0, documents = 0;
        boolean done = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.position(dataOffset);
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (int d = 0; d < corpus.files().size(); d++) {
                int[] ids = tokenizer.encode(corpus.read(d));
                if (ids.length == 0) continue;
                if (documents > 0) tokens += put(ch, buf, width, tokenizer.eosId());
                for (int id : ids) tokens += put(ch, buf, width, id);
                documents++;
            }
            drain(ch, buf);
            if (tokens == 0) {
                throw new IllegalArgumentException("corpus " + corpus.root() + " has no text: all "
                        + corpus.files().size() + " file(s) are empty; give files with UTF-8 text");
            }
            ByteBuffer header = ByteBuffer.allocate((int) dataOffset).order(ByteOrder.LITTLE_ENDIAN);
            header.put(MAGIC).putInt(VERSION).putInt(width).putInt(spec.vocabSize()).putInt(specJson.length)
                    .putLong(tokens).putLong(documents).put(specJson);
            header.position(0);
            ch.position(0);
            while (header.hasRemaining()) ch.write(header);
            ch.force(true);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static int put(FileChannel ch, ByteBuffer buf, int width, int id) throws IOException {
        if (buf.remaining() < 4) drain(ch, buf);
        if (width == 2) buf.putShort((short) id);
        else buf.putInt(id);
        return 1;
    }

    private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }

    static int widthFor(int vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }

    static long dataOffset(int specBytes) {
        return (FIXED_HEADER + specBytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    // ---------------------------------------------------------------- reading

    /** Maps {@code path} read-only after checking its header against the file's length. */
    public static TokenFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < FIXED_HEADER) {
                throw corrupt(path, "file is " + size + " bytes, shorter than the " + FIXED_HEADER + "-byte header");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            byte[] magic = all.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE);
            if (!Arrays.equals(magic, MAGIC)) {
                throw corrupt(path, "magic at offset 0 is " + Arrays.toString(magic) + ", expected \"JDLMTOK\\0\"");
            }
            int version = all.get(I32, 8);
            if (version != VERSION) throw corrupt(path, "version at offset 8 is " + version + ", expected " + VERSION);
            int width = all.get(I32, 12);
            if (width != 2 && width != 4) {
                throw corrupt(path, "bytes per token at offset 12 is " + width + ", expected 2 or 4");
            }
            int vocab = all.get(I32, 16);
            if (vocab <= 0 || widthFor(vocab) > width) {
                throw corrupt(path, "vocabulary size at offset 16 is " + vocab + ", which does not fit "
                        + width + "-byte tokens");
            }
            int specBytes = all.get(I32, 20);
            if (specBytes <= 0 || specBytes > MAX_SPEC_BYTES || FIXED_HEADER + (long) specBytes > size) {
                throw corrupt(path, "tokenizer spec length at offset 20 is " + specBytes + ", expected 1.."
                        + Math.min(MAX_SPEC_BYTES, size - FIXED_HEADER));
            }
            long tokens = all.get(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 24);
            long documents = all.get(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 32);
            long dataOffset = dataOffset(specBytes);
            long room = size - dataOffset;
            if (tokens < 0 || room < 0 || tokens > room / width || tokens * width != room) {
                throw corrupt(path, "token count at offset 24 is " + tokens + " (" + width
                        + " bytes each after offset " + dataOffset + "), but the file is " + size
                        + " bytes: truncated or corrupt");
            }
            if (documents < 0 || documents > tokens) {
                throw corrupt(path, "document count at offset 32 is " + documents + ", expected 0.." + tokens);
            }
            String json = new String(all.asSlice(FIXED_HEADER, specBytes).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.UTF_8);
            TokenizerSpec spec;
            try {
                spec = TokenizerSpec.fromJson(json);
            } catch (IllegalArgumentException e) {
                throw corrupt(path, "tokenizer spec at offset 40: " + e.getMessage());
            }
            if (spec.vocabSize() != vocab) {
                throw corrupt(path, "tokenizer spec says vocabulary " + spec.vocabSize() + ", header says " + vocab);
            }
            return new TokenFile(path, arena, all.asSlice(dataOffset), width, vocab, tokens, documents, spec);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static IllegalArgumentException corrupt(Path path, String what) {
        return new IllegalArgumentException("token file " + path + " is not a valid jdlm token file: " + what
                + "; rebuild it from the corpus");
    }

    public Path path() {
        return path;
    }

    /** Number of tokens in the stream. */
    public long size() {
        return tokens;
    }

    public long documents() {
        return documents;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The tokenizer the stream was made with. */
    public TokenizerSpec tokenizer() {
        return tokenizer;
    }

    /** Token at index {@code i}. */
    public int get(long i) {
        Objects.checkIndex(i, tokens);
        return checked(i, width == 2 ? data.getAtIndex(U16, i) & 0xffff : data.getAtIndex(I32, i));
    }

    /** Copies tokens {@code [from, from + len)} into {@code dst[off ..]}. */
    public void read(long from, int[] dst, int off, int len) {
        Objects.checkFromIndexSize(from, len, tokens);
        Objects.checkFromIndexSize(off, len, dst.length);
        if (width == 4) {
            MemorySegment.copy(data, I32, from * 4, dst, off, len);
            for (int k = 0; k < len; k++) checked(from + k, dst[off + k]);
        } else {
            for (int k = 0; k < len; k++) dst[off + k] = checked(from + k, data.getAtIndex(U16, from + k) & 0xffff);
        }
    }

    /** A token outside the vocabulary can only come from a damaged file; say so, not crash later. */
    private int checked(long i, int id) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalStateException("token file " + path + " is corrupt: token " + i + " is " + id
                    + ", outside the vocabulary [0, " + vocabSize + ")");
        }
        return id;
    }

    @Override
    public void close() {
        arena.close();
    }
}

package jdlm.format.safetensors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jdlm.format.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every number in a valid safetensors header (dims, data offsets) replaced by boundary values, with
 * the header length kept consistent so the JSON itself stays valid: each file is read in bounds or
 * refused with a {@link FormatException}, and opening never allocates more than a small multiple
 * of the file. (SafetensorsTest covers truncation and flipped bytes.)
 */
class SafetensorsFuzzTest {
    @TempDir Path dir;

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final String[] NASTY = {"0", "1", "2", "3", "-1", "-8", "7", "9", "31", "32", "4294967295", "4294967296", "2147483648",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e300", "1.5", "99999999999999999999"};

    @Test
    @Timeout(60)
    void everyHeaderNumberSetToBoundaryValuesIsReadInBoundsOrRejected() throws IOException {
        Path good = dir.resolve("good.safetensors");
        new SafetensorsWriter()
                .add("w", DType.F32, new long[] {3, 5}, new float[15], 0)
                .add("h", DType.F16, new long[] {7}, new float[7], 0)
                .add("b", DType.BF16, new long[] {2, 2, 2}, new float[8], 0)
                .write(good);
        byte[] bytes = Files.readAllBytes(good);
        int headerLen = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(bytes, 8, headerLen, StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(bytes, 8 + headerLen, bytes.length);
        List<int[]> numbers = new ArrayList<>();
        Matcher m = Pattern.compile("-?\\d+").matcher(header);
        while (m.find()) numbers.add(new int[] {m.start(), m.end()});
        assertTrue(numbers.size() >= 12, "dims and offsets of three tensors: " + numbers.size());
        SafetensorsFile.open(good).close(); // first use loads classes: not counted as allocation

        int trials = 0, rejected = 0;
        for (int[] n : numbers) {
            for (String v : NASTY) {
                String mutated = header.substring(0, n[0]) + v + header.substring(n[1]);
                rejected += check(fileWith(mutated, data), "number at " + n[0] + " = " + v) ? 0 : 1;
                trials++;
            }
            for (int[] other : numbers) { // one number copied onto another: shapes and ranges that disagree or overlap
                String mutated = header.substring(0, n[0]) + header.substring(other[0], other[1]) + header.substring(n[1]);
                rejected += check(fileWith(mutated, data), "number at " + n[0] + " = number at " + other[0]) ? 0 : 1;
                trials++;
            }
        }
        assertTrue(trials > 300 && rejected > trials / 2, rejected + " of " + trials + " rejected");
    }

    private Path fileWith(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = dir.resolve("fuzz.safetensors");
        Files.write(p, b.array());
        return p;
    }

    /** True when the file was read (every tensor in bounds), false when refused with a FormatException. */
    private static boolean check(Path p, String what) throws IOException {
        long size = Files.size(p);
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < (1 << 20) + 64 * size, what + ": opening allocated " + allocated + " bytes");
            for (SafetensorsFile.TensorInfo t : f.tensors().values()) {
                assertTrue(t.offset() >= 8 && t.offset() + t.byteSize() <= size, what + ": " + t.name() + " out of the file");
                f.readFloats(t.name());
            }
            return true;
        } catch (FormatException expected) {
            return false;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": " + e, e);
        }
    }
}

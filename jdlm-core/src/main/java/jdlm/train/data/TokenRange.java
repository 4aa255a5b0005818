package jdlm.train.data;

/** Token indices {@code [start, end)} of a token file. */
public record TokenRange(long start, long end) {
    public TokenRange {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("invalid token range [" + start + ", " + end + ")");
        }
    }

    public long length() {
        return end - start;
    }

    public boolean overlaps(TokenRange o) {
        return start < o.end && o.start < end;
    }
}

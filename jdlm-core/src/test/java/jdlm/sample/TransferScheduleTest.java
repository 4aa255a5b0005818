package jdlm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TransferScheduleTest {

    @Test
    void tenMaskedOverFourStepsCommitThreeThreeTwoTwo() {
        assertArrayEquals(new int[] {3, 3, 2, 2}, TransferSchedule.transferCounts(10, 4));
        assertArrayEquals(new int[] {1, 1, 0, 0}, TransferSchedule.transferCounts(2, 4));
        assertArrayEquals(new int[] {4, 4}, TransferSchedule.transferCounts(8, 2));
    }

    @Test
    void countFromWhatIsStillMaskedEqualsTheLladaRuleWithoutRemasking() {
        for (int n = 0; n <= 40; n++) {
            for (int s = 1; s <= 10; s++) {
                int left = n;
                for (int k = 0; k < s; k++) {
                    int expected = TransferSchedule.transferCount(n, s, k);
                    assertEquals(expected, TransferSchedule.remainingCount(left, s, k), "N=" + n + " S=" + s + " k=" + k);
                    left -= expected;
                }
                assertEquals(0, left);
            }
        }
    }

    @Test
    void blocksAndStepsPerBlock() {
        TransferSchedule t = new TransferSchedule(12, 96, 32);
        assertEquals(3, t.blocks());
        for (int k = 0; k < 3; k++) assertEquals(4, t.stepsIn(k));
    }

    @Test
    void stepsNotDivisibleByBlocksIsRejectedNamingTheOptions() {
        var e = assertThrows(IllegalArgumentException.class, () -> new TransferSchedule(10, 96, 32));
        assertEquals("--steps 10 is not divisible by the 3 blocks (--length 96 / --block 32)", e.getMessage());
    }

    @Test
    void lengthNotDivisibleByBlockIsRejectedNamingTheOptions() {
        var e = assertThrows(IllegalArgumentException.class, () -> new TransferSchedule(4, 10, 4));
        assertEquals("--length 10 is not divisible by --block 4", e.getMessage());
    }

    @Test
    void alignedBlocksFinishTheBlockThePromptEndsIn() {
        // blocks of 4 from position 0, prompt of 6: the region [6, 16) splits as [6,8) [8,12) [12,16)
        TransferSchedule t = TransferSchedule.aligned(7, 10, 4, 6);
        assertEquals(3, t.blocks());
        assertArrayEquals(new int[] {3, 2, 2}, new int[] {t.stepsIn(0), t.stepsIn(1), t.stepsIn(2)}, "7 steps over 3 blocks");
        int[][] want = {{0, 2}, {2, 6}, {6, 10}};
        for (int k = 0; k < 3; k++) {
            assertEquals(want[k][0], t.blockStart(k));
            assertEquals(want[k][1], t.blockEnd(k));
        }
        // a prompt of whole blocks and a short last block: region [8, 18) → [8,12) [12,16) [16,18)
        TransferSchedule u = TransferSchedule.aligned(3, 10, 4, 8);
        assertEquals(3, u.blocks());
        assertEquals(8, u.blockStart(2));
        assertEquals(10, u.blockEnd(2));
        var e = assertThrows(IllegalArgumentException.class, () -> TransferSchedule.aligned(2, 10, 4, 6));
        assertEquals("--steps 2 is fewer than the 3 blocks (--length 10 in the model's blocks of 4, the first 2 long"
                + " to finish the block the prompt ends in)", e.getMessage());
    }
}

import CSupport

/// How a sync process asks the C allocator to behave.
public enum ProcessMemory {
    /// Buffers of 256 KiB and more are mapped and unmapped on their own, so that a run over
    /// megabyte-sized files gives each back once done with it. (glibc raises this threshold after
    /// the first large free, after which such buffers stay in its per-thread arenas.)
    /// Process-wide: call it once, from the program, not from a library.
    public static func returnLargeBuffers() {
        _ = zm_set_mmap_threshold(256 << 10)
    }
}

import Testing

/// The end-to-end suites of the carriers (mirrors, archives, registries), one after another:
/// each waits for its child processes and servers, and beside the other end-to-end suites they
/// held the two cores of a CI machine long enough to starve the in-process suites' timers.
@Suite(.serialized) struct CarrierProcesses {}

import Testing

/// The suites that run the built program as separate processes, or start servers and helper
/// processes of their own (carriers, mirrors, archives crafted by Python). They run one after another
/// (each starts several CPU-heavy syncs), beside the in-process suites, so that a two-core
/// machine is not so oversubscribed that the time bounds of the network tests stop meaning
/// anything.
@Suite(.serialized) struct RealProcesses {}

import Foundation

/// A source's installed layer, as the trust checks and `status` need it (no file contents).
public struct InstalledSource: Sendable, Hashable, Codable {
    public var name: String
    public var version: Int
    /// SHA-256 of the signed index payload: what equivocation compares.
    public var digest: String
    public var expires: String
    /// RFC 3339 time the layer was installed.
    public var installedAt: String

    public init(name: String, version: Int, digest: String, expires: String, installedAt: String) {
        self.name = name
        self.version = version
        self.digest = digest
        self.expires = expires
        self.installedAt = installedAt
    }
}

/// What the store keeps of each configured source besides its layer: hold, last attempt, floor.
public struct SourceState: Sendable, Hashable, Codable {
    public var name: String
    public var held: Bool
    /// The highest version ever installed: rollback protection never goes below it.
    public var versionFloor: Int?
    public var lastAttempt: String?
    /// `updated`, `unchanged`, `rejected`, `unavailable`, `held`.
    public var lastResult: String?
    public var lastMessage: String?
    /// How each mirror fared in the last attempt (SPEC §5.2); empty for a source served from one place.
    public var lastMirrors: [MirrorResult] = []

    public init(name: String, held: Bool = false, versionFloor: Int? = nil, lastAttempt: String? = nil, lastResult: String? = nil, lastMessage: String? = nil) {
        self.name = name
        self.held = held
        self.versionFloor = versionFloor
        self.lastAttempt = lastAttempt
        self.lastResult = lastResult
        self.lastMessage = lastMessage
    }
}

/// The newest root a source's chain reached (SPEC §5.1), as stored: trust only moves forward,
/// so a run replaces it only with a newer one and `rollback` never touches it.
public struct StoredRoot: Sendable, Hashable {
    public var source: String
    public var version: Int
    public var expires: String
    /// The `root/N.json` envelope, byte for byte.
    public var envelope: Data
    /// RFC 3339 time the run that verified it started.
    public var trustedAt: String

    public init(source: String, version: Int, expires: String, envelope: Data, trustedAt: String) {
        self.source = source
        self.version = version
        self.expires = expires
        self.envelope = envelope
        self.trustedAt = trustedAt
    }
}

/// A root a run stores, and whether it clears the source's version floor (its index keys
/// changed: the next valid index sets the floor again, TUF's fast-forward recovery).
public struct RootUpdate: Sendable, Hashable {
    public var root: StoredRoot
    public var clearsVersionFloor: Bool

    public init(root: StoredRoot, clearsVersionFloor: Bool) {
        self.root = root
        self.clearsVersionFloor = clearsVersionFloor
    }
}

/// A new source layer to install: the verified index and every file of its tree.
public struct LayerRecord: Sendable {
    public struct File: Sendable {
        public var path: String
        public var sha256: String
        public var bytes: [UInt8]

        public init(path: String, sha256: String, bytes: [UInt8]) {
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    public var installed: InstalledSource
    /// The `index.json` envelope as fetched.
    public var envelope: Data
    public var files: [File]

    public init(installed: InstalledSource, envelope: Data, files: [File]) {
        self.installed = installed
        self.envelope = envelope
        self.files = files
    }
}

/// How one source fared in a run.
public struct SourceAttempt: Sendable, Hashable, Codable {
    public enum Result: String, Sendable, Hashable, Codable {
        case updated, unchanged, rejected, unavailable, held
        /// Restored by `rollback` to the layer it had after an earlier run.
        case rolledBack = "rolled-back"
    }

    public var source: String
    public var result: Result
    /// The version offered (when an index was read).
    public var version: Int?
    public var message: String?
    /// Files downloaded, and their bytes (files found in the cache are not counted).
    public var filesFetched: Int
    public var bytesFetched: Int
    /// How each mirror fared (SPEC §5.2); empty for a source served from one place.
    public var mirrors: [MirrorResult] = []

    public init(source: String, result: Result, version: Int? = nil, message: String? = nil, filesFetched: Int = 0, bytesFetched: Int = 0) {
        self.source = source
        self.result = result
        self.version = version
        self.message = message
        self.filesFetched = filesFetched
        self.bytesFetched = bytesFetched
    }
}

/// One sync run as recorded (`history`).
public struct RunRecord: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Something was written.
        case applied
        /// Nothing changed.
        case unchanged
        /// Every source failed, or the run aborted: nothing written but the run itself.
        case failed
    }

    public var id: Int64?
    public var startedAt: String
    public var finishedAt: String
    public var status: Status
    public var sources: [SourceAttempt]
    public var modelsAdded: Int
    public var modelsChanged: Int
    public var modelsRemoved: Int
    public var conflictCount: Int
    /// A digest of what the resolution in force was computed from (sources, priorities,
    /// scopes, installed digests): when it is unchanged and no source updated, nothing is resolved.
    public var resolution: String?

    public init(id: Int64? = nil, startedAt: String, finishedAt: String, status: Status, sources: [SourceAttempt],
                modelsAdded: Int = 0, modelsChanged: Int = 0, modelsRemoved: Int = 0, conflictCount: Int = 0, resolution: String? = nil) {
        self.resolution = resolution
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.sources = sources
        self.modelsAdded = modelsAdded
        self.modelsChanged = modelsChanged
        self.modelsRemoved = modelsRemoved
        self.conflictCount = conflictCount
    }
}

/// Everything one run writes, applied by ``ModelStore/commit(_:)`` in one transaction.
public struct RunCommit: Sendable {
    public var run: RunRecord
    /// New layers of the sources that produced a new snapshot; replaces their previous layer.
    public var layers: [LayerRecord]
    public var changes: ChangeSet
    /// Every conflict of the run (root side, child side and source level).
    public var conflicts: [Conflict]
    /// When `true`, the run resolved nothing new: the store carries the previous run's
    /// resolution conflicts forward (so `conflicts` keeps showing them) and adds `conflicts`.
    public var carryForwardConflicts: Bool
    /// Sources whose installed layer is removed (a rollback to a run before they had one).
    public var removeLayers: [String]
    /// Sources put on hold by this run (a rollback holds what it rolled back).
    public var hold: [String]
    /// Run reports to deliver, one per notification sink, kept until delivered (the outbox).
    public var notifications: [OutboxMessage]
    /// Newer trusted roots the run verified, whatever became of their sources' indexes.
    public var roots: [RootUpdate]

    public init(run: RunRecord, layers: [LayerRecord] = [], changes: ChangeSet = ChangeSet(), conflicts: [Conflict] = [], carryForwardConflicts: Bool = false,
                removeLayers: [String] = [], hold: [String] = [], notifications: [OutboxMessage] = [], roots: [RootUpdate] = []) {
        self.roots = roots
        self.run = run
        self.layers = layers
        self.changes = changes
        self.conflicts = conflicts
        self.carryForwardConflicts = carryForwardConflicts
        self.removeLayers = removeLayers
        self.hold = hold
        self.notifications = notifications
    }
}

/// A model in the resolved layer, as `models list` shows it.
public struct ModelSummary: Sendable, Hashable, Codable {
    public enum Origin: String, Sendable, Hashable, Codable, CaseIterable {
        case root, local
    }

    public var release: String
    public var name: String
    public var origin: Origin
    public var parent: String?
    /// For a root: its source, and that source's installed version.
    public var source: String?
    public var sourceVersion: Int?
    public var variableCount: Int

    public init(release: String, name: String, origin: Origin, parent: String?, source: String?, sourceVersion: Int?, variableCount: Int) {
        self.release = release
        self.name = name
        self.origin = origin
        self.parent = parent
        self.source = source
        self.sourceVersion = sourceVersion
        self.variableCount = variableCount
    }
}

/// A root model in force with its provenance.
public struct RootModelRecord: Sendable, Hashable, Codable {
    public var release: String
    public var model: ServerModel
    public var source: String
    public var sourceVersion: Int?
    public var digest: String

    public init(release: String, model: ServerModel, source: String, sourceVersion: Int?, digest: String) {
        self.release = release
        self.model = model
        self.source = source
        self.sourceVersion = sourceVersion
        self.digest = digest
    }
}

/// A run report waiting for delivery to one notification sink (SPEC §6 `notify`).
///
/// Written in the run's own transaction, so a report is never lost; removed from the pending
/// list only once delivered.
public struct OutboxMessage: Sendable, Hashable {
    public var id: Int64?
    /// The run the report is about (set by the store).
    public var run: Int64?
    /// ``NotifySink/description`` of the sink: `webhook:URL` or `command:PATH`.
    public var sink: String
    /// The run report, JSON.
    public var payload: Data
    public var attempts: Int
    public var lastError: String?

    public init(id: Int64? = nil, run: Int64? = nil, sink: String, payload: Data, attempts: Int = 0, lastError: String? = nil) {
        self.id = id
        self.run = run
        self.sink = sink
        self.payload = payload
        self.attempts = attempts
        self.lastError = lastError
    }
}

import Foundation
import Logging
import PostgresNIO
import ZephirCore

extension PostgresStore {
    public func installedSources() async throws -> [String: InstalledSource] {
        let logger = self.logger
        return try await reading("reading the installed sources") { connection in
            var sources: [String: InstalledSource] = [:]
            let rows = try await connection.query("SELECT source, version, digest, expires, installed_at FROM source_layer", logger: logger)
            for try await (name, version, digest, expires, installedAt) in rows.decode((String, Int, String, String, String).self) {
                sources[name] = InstalledSource(name: name, version: version, digest: digest, expires: expires, installedAt: installedAt)
            }
            return sources
        }
    }

    public func trustedRoots() async throws -> [String: StoredRoot] {
        let logger = self.logger
        return try await reading("reading the trusted roots") { connection in
            var roots: [String: StoredRoot] = [:]
            let rows = try await connection.query("SELECT source, version, expires, trusted_at, envelope FROM trusted_root", logger: logger)
            for try await (source, version, expires, trustedAt, envelope) in rows.decode((String, Int, String, String, ByteBuffer).self) {
                roots[source] = StoredRoot(source: source, version: version, expires: expires, envelope: Data(envelope.readableBytesView), trustedAt: trustedAt)
            }
            return roots
        }
    }

    public func sourceStates() async throws -> [String: SourceState] {
        let logger = self.logger
        return try await reading("reading the source states") { connection in
            var states: [String: SourceState] = [:]
            let rows = try await connection.query(
                "SELECT source, held, version_floor, last_attempt, last_result, last_message, last_mirrors FROM source_state", logger: logger)
            for try await (name, held, floor, attempt, result, message, mirrors) in rows.decode((String, Int, Int?, String?, String?, String?, String?).self) {
                var state = SourceState(name: name, held: held != 0, versionFloor: floor, lastAttempt: attempt, lastResult: result, lastMessage: message)
                if let mirrors { state.lastMirrors = try Columns.decode([MirrorResult].self, json: mirrors, "the mirror results of \(name)") }
                states[name] = state
            }
            return states
        }
    }

    public func layerFiles(source: String) async throws -> [LayerRecord.File]? {
        let logger = self.logger
        return try await reading("reading the layer of \(source)") { connection in
            let layer = try await connection.query("SELECT 1 FROM source_layer WHERE source = \(source)", logger: logger).collect()
            guard !layer.isEmpty else { return nil }
            let rows = try await connection.query("""
                SELECT f.path, f.sha256, b.bytes FROM layer_file f JOIN blob b ON b.sha256 = f.sha256
                WHERE f.source = \(source) ORDER BY f.path COLLATE "C"
                """, logger: logger)
            var files: [LayerRecord.File] = []
            for try await (path, sha256, bytes) in rows.decode((String, String, ByteBuffer).self) {
                files.append(LayerRecord.File(path: path, sha256: sha256, bytes: Array(bytes.readableBytesView)))
            }
            return files
        }
    }

    public func currentState() async throws -> CurrentState {
        let logger = self.logger
        return try await reading("reading the current state") { connection in
            var state = CurrentState()
            for try await (name, stamp) in try await connection.query(
                "SELECT name, source || ':' || digest FROM version", logger: logger).decode((String, String).self) {
                state.versions[name] = stamp
            }
            for try await (name, stamp) in try await connection.query(
                "SELECT name, source || ':' || digest FROM release", logger: logger).decode((String, String).self) {
                state.releases[name] = stamp
            }
            for try await (release, name, stamp) in try await connection.query(
                "SELECT release, name, source || ':' || digest FROM service", logger: logger).decode((String, String, String).self) {
                state.services[ServiceKey(release: release, name: name)] = stamp
            }
            for try await (release, name, stamp) in try await connection.query(
                "SELECT release, name, COALESCE(source, '') || ':' || digest FROM model WHERE origin = 'root'",
                logger: logger).decode((String, String, String).self) {
                state.models[ModelKey(release: release, name: name)] = stamp
            }
            state.localModels = try await LocalModelReader(connection: connection, logger: logger).all()
            return state
        }
    }

    public func listModels(release: String?, origin: ModelSummary.Origin?) async throws -> [ModelSummary] {
        let logger = self.logger
        return try await reading("listing models") { connection in
            var summaries: [ModelSummary] = []
            if origin != .local {
                let rows = try await connection.query("""
                    SELECT m.release, m.name, m.parent, m.source, l.version,
                           (SELECT COUNT(*) FROM variable v WHERE v.release = m.release AND v.model = m.name)
                    FROM model m LEFT JOIN source_layer l ON l.source = m.source
                    WHERE m.origin = 'root' AND (\(release)::text IS NULL OR m.release = \(release))
                    """, logger: logger)
                for try await (release, name, parent, source, version, count) in rows.decode((String, String, String?, String?, Int?, Int).self) {
                    summaries.append(ModelSummary(release: release, name: name, origin: .root, parent: parent, source: source,
                                                  sourceVersion: version, variableCount: count))
                }
            }
            if origin != .root {
                let rows = try await connection.query("""
                    SELECT m.release, m.name, m.parent,
                           (SELECT COUNT(*) FROM local_override o WHERE o.release = m.release AND o.name = m.name)
                    FROM local_model m WHERE \(release)::text IS NULL OR m.release = \(release)
                    """, logger: logger)
                for try await (release, name, parent, count) in rows.decode((String, String, String, Int).self) {
                    summaries.append(ModelSummary(release: release, name: name, origin: .local, parent: parent, source: nil,
                                                  sourceVersion: nil, variableCount: count))
                }
            }
            return summaries.sorted { ($0.release, $0.name, $0.origin.rawValue) < ($1.release, $1.name, $1.origin.rawValue) }
        }
    }

    public func rootModel(_ key: ModelKey) async throws -> RootModelRecord? {
        let logger = self.logger
        return try await reading("reading \(key)") { connection in
            let rows = try await connection.query("""
                SELECT m.name, m.parent, m.description, m.source, m.digest, l.version
                FROM model m LEFT JOIN source_layer l ON l.source = m.source
                WHERE m.release = \(key.release) AND m.name = \(key.name) AND m.origin = 'root'
                """, logger: logger).collect()
            guard let row = rows.first else { return nil }
            let (name, parent, description, source, digest, version) = try row.decode((String, String?, String, String?, String, Int?).self)
            let reader = RootModelReader(connection: connection, logger: logger)
            let model = ServerModel(name: name, description: description, parent: parent,
                                    services: try await reader.services(release: key.release, model: key.name)[key.name] ?? [],
                                    variables: try await reader.variables(release: key.release, model: key.name)[key.name] ?? [])
            return RootModelRecord(release: key.release, model: model, source: source ?? "", sourceVersion: version, digest: digest)
        }
    }

    public func rootModels(release: String) async throws -> [ModelKey: Resolved<ServerModel>] {
        let logger = self.logger
        return try await reading("reading the root models of \(release)") { connection in
            let reader = RootModelReader(connection: connection, logger: logger)
            var services = try await reader.services(release: release)
            var variables = try await reader.variables(release: release)
            var models: [ModelKey: Resolved<ServerModel>] = [:]
            let rows = try await connection.query(
                "SELECT name, parent, description, source, digest FROM model WHERE release = \(release) AND origin = 'root'", logger: logger)
            for try await (name, parent, description, source, digest) in rows.decode((String, String?, String, String?, String).self) {
                let model = ServerModel(name: name, description: description, parent: parent,
                                        services: services.removeValue(forKey: name) ?? [],
                                        variables: variables.removeValue(forKey: name) ?? [])
                models[ModelKey(release: release, name: name)] = Resolved(value: model, source: source ?? "", digest: digest)
            }
            return models
        }
    }

    public func localModel(_ key: ModelKey) async throws -> LocalModel? {
        let logger = self.logger
        return try await reading("reading \(key)") { connection in
            try await LocalModelReader(connection: connection, logger: logger).all(key: key).first
        }
    }

    public func serviceNames(release: String) async throws -> Set<String> {
        let logger = self.logger
        return try await reading("reading the services of \(release)") { connection in
            var names = Set<String>()
            for try await name in try await connection.query("SELECT name FROM service WHERE release = \(release)", logger: logger)
                .decode(String.self) {
                names.insert(name)
            }
            return names
        }
    }

    public func createLocalModel(_ model: LocalModel) async throws {
        let logger = self.logger
        try await writing("creating \(model.key)") { connection in
            // Serializes creations of one key: the check below then sees any concurrent one.
            let lock = "zephir-models local " + model.key.description
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lock), 0))", logger: logger)
            let taken = try await connection.query("""
                SELECT 1 FROM model WHERE release = \(model.release) AND name = \(model.name)
                UNION ALL SELECT 1 FROM local_model WHERE release = \(model.release) AND name = \(model.name)
                """, logger: logger).collect()
            if !taken.isEmpty { throw StoreError.alreadyExists(model.key) }
            try await connection.query("""
                INSERT INTO local_model (release, name, parent, description, parent_digest, created_at)
                VALUES (\(model.release), \(model.name), \(model.parent), \(model.description), \(model.parentDigest), \(model.createdAt))
                """, logger: logger)
            if !model.overrides.isEmpty {
                let positions = Array(0..<model.overrides.count)
                try await connection.query("""
                    INSERT INTO local_override (release, name, position, variable, value)
                    SELECT \(model.release), \(model.name), p, v, x
                    FROM unnest(\(positions)::bigint[], \(model.overrides.map(\.name))::text[], \(model.overrides.map(\.value))::text[]) AS o(p, v, x)
                    """, logger: logger)
            }
            let actions = model.addServices.map { ($0, "add") } + model.removeServices.map { ($0, "remove") }
            if !actions.isEmpty {
                let positions = Array(0..<actions.count)
                try await connection.query("""
                    INSERT INTO local_service (release, name, position, service, action)
                    SELECT \(model.release), \(model.name), p, s, a
                    FROM unnest(\(positions)::bigint[], \(actions.map(\.0))::text[], \(actions.map(\.1))::text[]) AS o(p, s, a)
                    """, logger: logger)
            }
        }
    }

    public func runs(limit: Int) async throws -> [RunRecord] {
        let logger = self.logger
        return try await reading("reading the run history") { connection in
            let rows = try await connection.query("""
                SELECT id, started_at, finished_at, status, sources, models_added, models_changed, models_removed,
                       conflict_count, resolution
                FROM run ORDER BY id DESC LIMIT \(max(limit, 0))
                """, logger: logger)
            var runs: [RunRecord] = []
            for try await (id, started, finished, status, sources, added, changed, removed, conflicts, resolution)
                in rows.decode((Int64, String, String, String, String, Int, Int, Int, Int, String?).self) {
                runs.append(RunRecord(id: id, startedAt: started, finishedAt: finished,
                                      status: try Columns.enum(RunRecord.Status.self, status, "run \(id) status"),
                                      sources: try Columns.decode([SourceAttempt].self, json: sources, "run \(id) sources"),
                                      modelsAdded: added, modelsChanged: changed, modelsRemoved: removed, conflictCount: conflicts,
                                      resolution: resolution))
            }
            return runs
        }
    }

    public func conflicts(all: Bool) async throws -> [StoredConflict] {
        try await conflicts(where: all ? "" : "WHERE run = (SELECT MAX(id) FROM run) AND acknowledged = 0", order: all ? "run DESC, id" : "id")
    }

    public func conflicts(run: Int64) async throws -> [StoredConflict] {
        try await conflicts(where: "WHERE run = \(run)", order: "id")
    }

    /// `condition` is SQL built from integers only.
    private func conflicts(where condition: String, order: String) async throws -> [StoredConflict] {
        let logger = self.logger
        return try await reading("reading conflicts") { connection in
            let sql = "SELECT id, run, acknowledged, kind, severity, subject, sources, detail, fields FROM conflict \(condition) ORDER BY \(order)"
            var conflicts: [StoredConflict] = []
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await (id, run, acknowledged, kind, severity, subject, sources, detail, fields)
                in rows.decode((Int64, Int64, Int, String, String, String, String, String, String?).self) {
                let conflict = Conflict(kind: try Columns.enum(Conflict.Kind.self, kind, "conflict \(id) kind"),
                                        severity: try Columns.enum(Conflict.Severity.self, severity, "conflict \(id) severity"),
                                        subject: subject,
                                        sources: try Columns.decode([String].self, json: sources, "conflict \(id) sources"),
                                        detail: detail,
                                        fields: try fields.map { try Columns.decode(Conflict.Fields.self, json: $0, "conflict \(id) fields") } ?? Conflict.Fields())
                conflicts.append(StoredConflict(id: id, run: run, acknowledged: acknowledged != 0, conflict: conflict))
            }
            return conflicts
        }
    }

    public func acknowledge(_ ids: [Int64], parentDigests: [ModelKey: String]) async throws -> [Int64] {
        let logger = self.logger
        return try await writing("acknowledging conflicts") { connection in
            var seen = Set<Int64>()
            let unique = ids.filter { seen.insert($0).inserted }
            var existing = Set<Int64>()
            if !unique.isEmpty {
                let rows = try await connection.query("UPDATE conflict SET acknowledged = 1 WHERE id = ANY(\(unique)::bigint[]) RETURNING id",
                                                      logger: logger)
                for try await id in rows.decode(Int64.self) { existing.insert(id) }
            }
            for (key, digest) in parentDigests.sorted(by: { $0.key < $1.key }) {
                try await connection.query(
                    "UPDATE local_model SET parent_digest = \(digest) WHERE release = \(key.release) AND name = \(key.name)", logger: logger)
            }
            return unique.filter(existing.contains)
        }
    }

    public func setHold(source: String, held: Bool) async throws {
        let logger = self.logger
        try await writing(held ? "holding \(source)" : "releasing \(source)") { connection in
            _ = try await connection.query("""
                INSERT INTO source_state (source, held) VALUES (\(source), \(held ? 1 : 0))
                ON CONFLICT (source) DO UPDATE SET held = excluded.held
                """, logger: logger)
        }
    }
}

/// Services and variables of root models, grouped by model, in position order.
private struct RootModelReader {
    let connection: PostgresConnection
    let logger: Logger

    func services(release: String, model: String? = nil) async throws -> [String: [String]] {
        let rows = try await connection.query("""
            SELECT model, service FROM model_service WHERE release = \(release) AND (\(model)::text IS NULL OR model = \(model))
            ORDER BY model, position
            """, logger: logger)
        var services: [String: [String]] = [:]
        for try await (owner, service) in rows.decode((String, String).self) {
            services[owner, default: []].append(service)
        }
        return services
    }

    func variables(release: String, model: String? = nil) async throws -> [String: [Variable]] {
        let rows = try await connection.query("""
            SELECT model, name, type, default_value, mandatory, description, choices FROM variable
            WHERE release = \(release) AND (\(model)::text IS NULL OR model = \(model)) ORDER BY model, position
            """, logger: logger)
        var variables: [String: [Variable]] = [:]
        let decoder = JSONDecoder()
        for try await (owner, name, type, defaultValue, mandatory, description, choicesText)
            in rows.decode((String, String, String, String?, Int, String, String?).self) {
            let what = "variable \(name) of \(release)/\(owner)"
            var choices: [String]?
            if let text = choicesText {
                do { choices = try decoder.decode([String].self, from: Data(text.utf8)) } catch {
                    throw StoreError.corrupt("\(what): choices are not valid JSON: \(text)")
                }
            }
            variables[owner, default: []].append(Variable(name: name, type: try Columns.enum(VariableType.self, type, "\(what) type"),
                                                          defaultValue: defaultValue, mandatory: mandatory != 0,
                                                          description: description, choices: choices))
        }
        return variables
    }
}

/// Local child models with their overrides and service changes, in the order written.
private struct LocalModelReader {
    let connection: PostgresConnection
    let logger: Logger

    /// Every local model, or the one with `key`, sorted by key.
    func all(key: ModelKey? = nil) async throws -> [LocalModel] {
        let release = key?.release, name = key?.name
        var models: [ModelKey: LocalModel] = [:]
        let rows = try await connection.query("""
            SELECT release, name, parent, description, parent_digest, created_at FROM local_model
            WHERE (\(release)::text IS NULL OR release = \(release)) AND (\(name)::text IS NULL OR name = \(name))
            """, logger: logger)
        for try await (release, name, parent, description, digest, created) in rows.decode((String, String, String, String, String, String).self) {
            let model = LocalModel(release: release, name: name, parent: parent, description: description, parentDigest: digest, createdAt: created)
            models[model.key] = model
        }
        guard !models.isEmpty else { return [] }
        let overrides = try await connection.query("""
            SELECT release, name, variable, value FROM local_override
            WHERE (\(release)::text IS NULL OR release = \(release)) AND (\(name)::text IS NULL OR name = \(name))
            ORDER BY release, name, position
            """, logger: logger)
        for try await (release, name, variable, value) in overrides.decode((String, String, String, String).self) {
            models[ModelKey(release: release, name: name)]?.overrides.append(LocalModel.Override(name: variable, value: value))
        }
        let services = try await connection.query("""
            SELECT release, name, service, action FROM local_service
            WHERE (\(release)::text IS NULL OR release = \(release)) AND (\(name)::text IS NULL OR name = \(name))
            ORDER BY release, name, position
            """, logger: logger)
        for try await (release, name, service, action) in services.decode((String, String, String, String).self) {
            let key = ModelKey(release: release, name: name)
            switch action {
            case "add": models[key]?.addServices.append(service)
            case "remove": models[key]?.removeServices.append(service)
            default: throw StoreError.corrupt("local model \(key): unknown service action '\(action)'")
            }
        }
        return models.values.sorted { $0.key < $1.key }
    }
}

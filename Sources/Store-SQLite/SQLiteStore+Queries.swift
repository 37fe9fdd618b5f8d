import Foundation
import GRDB
import ZephirCore

extension SQLiteStore {
    public func installedSources() async throws -> [String: InstalledSource] {
        try await reading("reading the installed sources") { db in
            var sources: [String: InstalledSource] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT source, version, digest, expires, installed_at FROM source_layer") {
                let source = InstalledSource(name: try row.decode(atIndex: 0), version: try row.decode(atIndex: 1),
                                             digest: try row.decode(atIndex: 2), expires: try row.decode(atIndex: 3),
                                             installedAt: try row.decode(atIndex: 4))
                sources[source.name] = source
            }
            return sources
        }
    }

    public func trustedRoots() async throws -> [String: StoredRoot] {
        try await reading("reading the trusted roots") { db in
            var roots: [String: StoredRoot] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT source, version, expires, trusted_at, envelope FROM trusted_root") {
                let root = StoredRoot(source: row["source"], version: row["version"], expires: row["expires"], envelope: row["envelope"],
                                      trustedAt: row["trusted_at"])
                roots[root.source] = root
            }
            return roots
        }
    }

    public func sourceStates() async throws -> [String: SourceState] {
        try await reading("reading the source states") { db in
            var states: [String: SourceState] = [:]
            let sql = "SELECT source, held, version_floor, last_attempt, last_result, last_message, last_mirrors FROM source_state"
            for row in try Row.fetchAll(db, sql: sql) {
                var state = SourceState(name: try row.decode(atIndex: 0), held: try row.decode(atIndex: 1),
                                        versionFloor: try row.decode(atIndex: 2), lastAttempt: try row.decode(atIndex: 3),
                                        lastResult: try row.decode(atIndex: 4), lastMessage: try row.decode(atIndex: 5))
                if let mirrors: String = try row.decode(atIndex: 6) {
                    state.lastMirrors = try Columns.decode([MirrorResult].self, json: mirrors, "the mirror results of \(state.name)")
                }
                states[state.name] = state
            }
            return states
        }
    }

    public func layerFiles(source: String) async throws -> [LayerRecord.File]? {
        try await reading("reading the layer of \(source)") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM source_layer WHERE source = ?", arguments: [source]) != nil else { return nil }
            let sql = """
                SELECT f.path, f.sha256, b.bytes FROM layer_file f JOIN blob b ON b.sha256 = f.sha256
                WHERE f.source = ? ORDER BY f.path
                """
            return try Row.fetchAll(db, sql: sql, arguments: [source]).map { row in
                let bytes: Data = try row.decode(atIndex: 2)
                return LayerRecord.File(path: try row.decode(atIndex: 0), sha256: try row.decode(atIndex: 1), bytes: Array(bytes))
            }
        }
    }

    public func currentState() async throws -> CurrentState {
        try await reading("reading the current state") { db in
            var state = CurrentState()
            for row in try Row.fetchAll(db, sql: "SELECT name, source || ':' || digest FROM version") {
                state.versions[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1)
            }
            for row in try Row.fetchAll(db, sql: "SELECT name, source || ':' || digest FROM release") {
                state.releases[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1)
            }
            for row in try Row.fetchAll(db, sql: "SELECT release, name, source || ':' || digest FROM service") {
                state.services[ServiceKey(release: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1))] = try row.decode(atIndex: 2)
            }
            let models = "SELECT release, name, COALESCE(source, '') || ':' || digest FROM model WHERE origin = 'root'"
            for row in try Row.fetchAll(db, sql: models) {
                state.models[ModelKey(release: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1))] = try row.decode(atIndex: 2)
            }
            state.localModels = try LocalModelReader(db: db).all()
            return state
        }
    }

    public func listModels(release: String?, origin: ModelSummary.Origin?) async throws -> [ModelSummary] {
        try await reading("listing models") { db in
            var summaries: [ModelSummary] = []
            if origin != .local {
                let sql = """
                    SELECT m.release, m.name, m.parent, m.source, l.version,
                           (SELECT COUNT(*) FROM variable v WHERE v.release = m.release AND v.model = m.name)
                    FROM model m LEFT JOIN source_layer l ON l.source = m.source
                    WHERE m.origin = 'root' AND (?1 IS NULL OR m.release = ?1)
                    """
                for row in try Row.fetchAll(db, sql: sql, arguments: [release]) {
                    summaries.append(ModelSummary(release: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1), origin: .root,
                                                  parent: try row.decode(atIndex: 2), source: try row.decode(atIndex: 3),
                                                  sourceVersion: try row.decode(atIndex: 4), variableCount: try row.decode(atIndex: 5)))
                }
            }
            if origin != .root {
                let sql = """
                    SELECT m.release, m.name, m.parent,
                           (SELECT COUNT(*) FROM local_override o WHERE o.release = m.release AND o.name = m.name)
                    FROM local_model m WHERE ?1 IS NULL OR m.release = ?1
                    """
                for row in try Row.fetchAll(db, sql: sql, arguments: [release]) {
                    summaries.append(ModelSummary(release: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1), origin: .local,
                                                  parent: try row.decode(atIndex: 2), source: nil, sourceVersion: nil,
                                                  variableCount: try row.decode(atIndex: 3)))
                }
            }
            return summaries.sorted { ($0.release, $0.name, $0.origin.rawValue) < ($1.release, $1.name, $1.origin.rawValue) }
        }
    }

    public func rootModel(_ key: ModelKey) async throws -> RootModelRecord? {
        try await reading("reading \(key)") { db in
            let sql = """
                SELECT m.name, m.parent, m.description, m.source, m.digest, l.version
                FROM model m LEFT JOIN source_layer l ON l.source = m.source
                WHERE m.release = ? AND m.name = ? AND m.origin = 'root'
                """
            guard let row = try Row.fetchOne(db, sql: sql, arguments: [key.release, key.name]) else { return nil }
            let reader = RootModelReader(db: db)
            let model = ServerModel(name: try row.decode(atIndex: 0), description: try row.decode(atIndex: 2),
                                    parent: try row.decode(atIndex: 1),
                                    services: try reader.services(release: key.release, model: key.name)[key.name] ?? [],
                                    variables: try reader.variables(release: key.release, model: key.name)[key.name] ?? [])
            let source: String? = try row.decode(atIndex: 3)
            return RootModelRecord(release: key.release, model: model, source: source ?? "",
                                   sourceVersion: try row.decode(atIndex: 5), digest: try row.decode(atIndex: 4))
        }
    }

    public func rootModels(release: String) async throws -> [ModelKey: Resolved<ServerModel>] {
        try await reading("reading the root models of \(release)") { db in
            let reader = RootModelReader(db: db)
            var services = try reader.services(release: release)
            var variables = try reader.variables(release: release)
            var models: [ModelKey: Resolved<ServerModel>] = [:]
            let sql = "SELECT name, parent, description, source, digest FROM model WHERE release = ? AND origin = 'root'"
            for row in try Row.fetchAll(db, sql: sql, arguments: [release]) {
                let name: String = try row.decode(atIndex: 0)
                let model = ServerModel(name: name, description: try row.decode(atIndex: 2), parent: try row.decode(atIndex: 1),
                                        services: services.removeValue(forKey: name) ?? [],
                                        variables: variables.removeValue(forKey: name) ?? [])
                let source: String? = try row.decode(atIndex: 3)
                models[ModelKey(release: release, name: name)] = Resolved(value: model, source: source ?? "", digest: try row.decode(atIndex: 4))
            }
            return models
        }
    }

    public func localModel(_ key: ModelKey) async throws -> LocalModel? {
        try await reading("reading \(key)") { db in
            try LocalModelReader(db: db).all(key: key).first
        }
    }

    public func serviceNames(release: String) async throws -> Set<String> {
        try await reading("reading the services of \(release)") { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM service WHERE release = ?", arguments: [release]))
        }
    }

    public func createLocalModel(_ model: LocalModel) async throws {
        try await writing("creating \(model.key)") { db in
            let taken = try Bool.fetchOne(db, sql: """
                SELECT 1 FROM model WHERE release = ?1 AND name = ?2 UNION ALL SELECT 1 FROM local_model WHERE release = ?1 AND name = ?2
                """, arguments: [model.release, model.name]) != nil
            if taken { throw StoreError.alreadyExists(model.key) }
            try db.execute(
                sql: "INSERT INTO local_model (release, name, parent, description, parent_digest, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [model.release, model.name, model.parent, model.description, model.parentDigest, model.createdAt])
            let insertOverride = try db.cachedStatement(sql: """
                INSERT INTO local_override (release, name, position, variable, value) VALUES (?, ?, ?, ?, ?)
                """)
            for (position, override) in model.overrides.enumerated() {
                try insertOverride.execute(arguments: [model.release, model.name, position, override.name, override.value])
            }
            let insertService = try db.cachedStatement(sql: """
                INSERT INTO local_service (release, name, position, service, action) VALUES (?, ?, ?, ?, ?)
                """)
            let actions = model.addServices.map { ($0, "add") } + model.removeServices.map { ($0, "remove") }
            for (position, (service, action)) in actions.enumerated() {
                try insertService.execute(arguments: [model.release, model.name, position, service, action])
            }
        }
    }

    public func runs(limit: Int) async throws -> [RunRecord] {
        try await reading("reading the run history") { db in
            let sql = """
                SELECT id, started_at, finished_at, status, sources, models_added, models_changed, models_removed,
                       conflict_count, resolution
                FROM run ORDER BY id DESC LIMIT ?
                """
            return try Row.fetchAll(db, sql: sql, arguments: [max(limit, 0)]).map { row in
                let id: Int64 = try row.decode(atIndex: 0)
                return RunRecord(id: id, startedAt: try row.decode(atIndex: 1), finishedAt: try row.decode(atIndex: 2),
                                 status: try Columns.enum(RunRecord.Status.self, try row.decode(atIndex: 3), "run \(id) status"),
                                 sources: try Columns.decode([SourceAttempt].self, json: try row.decode(atIndex: 4), "run \(id) sources"),
                                 modelsAdded: try row.decode(atIndex: 5), modelsChanged: try row.decode(atIndex: 6),
                                 modelsRemoved: try row.decode(atIndex: 7), conflictCount: try row.decode(atIndex: 8),
                                 resolution: try row.decode(atIndex: 9))
            }
        }
    }

    public func conflicts(all: Bool) async throws -> [StoredConflict] {
        try await conflicts(where: all ? "" : "WHERE run = (SELECT MAX(id) FROM run) AND acknowledged = 0", order: all ? "run DESC, id" : "id")
    }

    public func conflicts(run: Int64) async throws -> [StoredConflict] {
        try await conflicts(where: "WHERE run = ?", order: "id", arguments: [run])
    }

    private func conflicts(where condition: String, order: String, arguments: StatementArguments = []) async throws -> [StoredConflict] {
        try await reading("reading conflicts") { db in
            let sql = "SELECT id, run, acknowledged, kind, severity, subject, sources, detail, fields FROM conflict \(condition) ORDER BY \(order)"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let id: Int64 = try row.decode(atIndex: 0)
                let fields: String? = try row.decode(atIndex: 8)
                let conflict = Conflict(kind: try Columns.enum(Conflict.Kind.self, try row.decode(atIndex: 3), "conflict \(id) kind"),
                                        severity: try Columns.enum(Conflict.Severity.self, try row.decode(atIndex: 4), "conflict \(id) severity"),
                                        subject: try row.decode(atIndex: 5),
                                        sources: try Columns.decode([String].self, json: try row.decode(atIndex: 6), "conflict \(id) sources"),
                                        detail: try row.decode(atIndex: 7),
                                        fields: try fields.map { try Columns.decode(Conflict.Fields.self, json: $0, "conflict \(id) fields") } ?? Conflict.Fields())
                return StoredConflict(id: id, run: try row.decode(atIndex: 1), acknowledged: try row.decode(atIndex: 2), conflict: conflict)
            }
        }
    }

    public func acknowledge(_ ids: [Int64], parentDigests: [ModelKey: String]) async throws -> [Int64] {
        try await writing("acknowledging conflicts") { db in
            let update = try db.cachedStatement(sql: "UPDATE conflict SET acknowledged = 1 WHERE id = ?")
            var existing: [Int64] = []
            var seen = Set<Int64>()
            for id in ids where seen.insert(id).inserted {
                try update.execute(arguments: [id])
                if db.changesCount > 0 { existing.append(id) }
            }
            let updateDigest = try db.cachedStatement(sql: "UPDATE local_model SET parent_digest = ? WHERE release = ? AND name = ?")
            for (key, digest) in parentDigests.sorted(by: { $0.key < $1.key }) {
                try updateDigest.execute(arguments: [digest, key.release, key.name])
            }
            return existing
        }
    }

    public func setHold(source: String, held: Bool) async throws {
        try await writing(held ? "holding \(source)" : "releasing \(source)") { db in
            try db.execute(sql: """
                INSERT INTO source_state (source, held) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET held = excluded.held
                """, arguments: [source, held])
        }
    }
}

/// Services and variables of root models, grouped by model, in position order.
private struct RootModelReader {
    let db: Database

    func services(release: String, model: String? = nil) throws -> [String: [String]] {
        let sql = """
            SELECT model, service FROM model_service WHERE release = ?1 AND (?2 IS NULL OR model = ?2) ORDER BY model, position
            """
        var services: [String: [String]] = [:]
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [release, model])
        while let row = try rows.next() {
            services[try row.decode(String.self, atIndex: 0), default: []].append(try row.decode(atIndex: 1))
        }
        return services
    }

    func variables(release: String, model: String? = nil) throws -> [String: [Variable]] {
        let sql = """
            SELECT model, name, type, default_value, mandatory, description, choices FROM variable
            WHERE release = ?1 AND (?2 IS NULL OR model = ?2) ORDER BY model, position
            """
        var variables: [String: [Variable]] = [:]
        let decoder = JSONDecoder()
        let rows = try Row.fetchCursor(db, sql: sql, arguments: [release, model])
        while let row = try rows.next() {
            let owner: String = try row.decode(atIndex: 0)
            let name: String = try row.decode(atIndex: 1)
            let what = "variable \(name) of \(release)/\(owner)"
            var choices: [String]?
            if let text: String = try row.decode(atIndex: 6) {
                do { choices = try decoder.decode([String].self, from: Data(text.utf8)) } catch {
                    throw StoreError.corrupt("\(what): choices are not valid JSON: \(text)")
                }
            }
            let variable = Variable(name: name, type: try Columns.enum(VariableType.self, try row.decode(atIndex: 2), "\(what) type"),
                                    defaultValue: try row.decode(atIndex: 3), mandatory: try row.decode(atIndex: 4),
                                    description: try row.decode(atIndex: 5), choices: choices)
            variables[owner, default: []].append(variable)
        }
        return variables
    }
}

/// Local child models with their overrides and service changes, in the order written.
private struct LocalModelReader {
    let db: Database

    /// Every local model, or the one with `key`, sorted by key.
    func all(key: ModelKey? = nil) throws -> [LocalModel] {
        let filter = "(?1 IS NULL OR release = ?1) AND (?2 IS NULL OR name = ?2)"
        let arguments: StatementArguments = [key?.release, key?.name]
        var models: [ModelKey: LocalModel] = [:]
        let sql = "SELECT release, name, parent, description, parent_digest, created_at FROM local_model WHERE \(filter)"
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let model = LocalModel(release: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1), parent: try row.decode(atIndex: 2),
                                   description: try row.decode(atIndex: 3), parentDigest: try row.decode(atIndex: 4),
                                   createdAt: try row.decode(atIndex: 5))
            models[model.key] = model
        }
        guard !models.isEmpty else { return [] }
        let overrides = "SELECT release, name, variable, value FROM local_override WHERE \(filter) ORDER BY release, name, position"
        for row in try Row.fetchAll(db, sql: overrides, arguments: arguments) {
            let key = ModelKey(release: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1))
            models[key]?.overrides.append(LocalModel.Override(name: try row.decode(atIndex: 2), value: try row.decode(atIndex: 3)))
        }
        let services = "SELECT release, name, service, action FROM local_service WHERE \(filter) ORDER BY release, name, position"
        for row in try Row.fetchAll(db, sql: services, arguments: arguments) {
            let key = ModelKey(release: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1))
            let service: String = try row.decode(atIndex: 2)
            switch try row.decode(String.self, atIndex: 3) {
            case "add": models[key]?.addServices.append(service)
            case "remove": models[key]?.removeServices.append(service)
            case let action: throw StoreError.corrupt("local model \(key): unknown service action '\(action)'")
            }
        }
        return models.values.sorted { $0.key < $1.key }
    }
}

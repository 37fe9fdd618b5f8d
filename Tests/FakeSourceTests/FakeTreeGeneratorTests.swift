import FakeSource
import Foundation
import Testing
import ZephirCore
import ZephirTestSupport

/// Decodes and validates generated files as TreeLoader would.
private func decodedTree(_ files: [GeneratedFile]) throws -> DatasourceTree {
    var tree = DatasourceTree()
    let decoder = TreeFileDecoder()
    for file in files { tree.add(try decoder.decode(path: file.path, bytes: file.contents)) }
    try TreeValidator.validate(tree)
    return tree
}

@Suite struct FakeTreeGeneratorTests {
    @Test func sameSeedSameBytes() {
        let p = FakeTreeParameters(seed: 7, releases: 4, models: 12, variables: 15)
        let a = FakeTreeGenerator.generate(p), b = FakeTreeGenerator.generate(p)
        #expect(a.map(\.path) == b.map(\.path))
        #expect(a.map(\.contents) == b.map(\.contents))
    }

    @Test func differentSeedDifferentBytes() {
        let a = FakeTreeGenerator.generate(FakeTreeParameters(seed: 1, releases: 1, models: 10, variables: 20))
        let b = FakeTreeGenerator.generate(FakeTreeParameters(seed: 2, releases: 1, models: 10, variables: 20))
        #expect(a.map(\.contents) != b.map(\.contents))
    }

    @Test func knownShape() throws {
        let files = FakeTreeGenerator.generate(FakeTreeParameters(seed: 1, releases: 1, models: 2, variables: 3))
        let version = try #require(files.first { $0.path == "versions/2.7.yml" })
        #expect(String(decoding: version.contents, as: UTF8.self).hasPrefix("name: \"2.7\"\nlabel: \"EOLE 2.7\"\n"))
        let release = try #require(files.first { $0.path == "releases/2.7.0/release.yml" })
        #expect(String(decoding: release.contents, as: UTF8.self).contains("version: \"2.7\"\n"))
        #expect(files.contains { $0.path == "releases/2.7.0/servermodels/eolebase.yml" })
        #expect(files.contains { $0.path == "releases/2.7.0/servermodels/amon.yml" })
    }

    @Test func filesAreSortedAndStreamingMatches() {
        let p = FakeTreeParameters(seed: 3, releases: 31, models: 11, variables: 4)   // versions 2.7 … 2.17
        let files = FakeTreeGenerator.generate(p)
        let paths = files.map(\.path)
        #expect(paths == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(Set(paths).count == paths.count)
        var streamed: [String] = []
        FakeTreeGenerator.forEachFile(p) { streamed.append($0.path) }
        #expect(streamed == paths)
    }

    @Test(arguments: [(1, 5, 10), (3, 30, 50), (2, 1, 0), (1, 9, 1), (7, 40, 12)])
    func passesTreeLoader(_ size: (Int, Int, Int)) throws {
        let p = FakeTreeParameters(seed: UInt64(size.0 * 1000 + size.1), releases: size.0, models: size.1, variables: size.2)
        let folder = temporaryFolder("fake-tree")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FakeTreeGenerator.write(p, to: folder)
        let loaded = try TreeLoader().load(from: folder)
        let tree = loaded.tree
        // Counts match the parameters.
        #expect(tree.releases.count == p.releases)
        #expect(tree.versions.count == (p.releases - 1) / 3 + 1)
        for (name, content) in tree.releases {
            let release = try #require(content.release)
            #expect(release.name == name)
            #expect(tree.versions[release.version] != nil)
            #expect(content.models.count == p.models)
            #expect((8...16).contains(content.services.count))
            for model in content.models.values {
                #expect(model.variables.count == p.variables, "\(name)/\(model.name)")
                #expect((1...4).contains(model.services.count))
            }
        }
        // Same bytes on disk as in memory.
        #expect(loaded.files.map(\.bytes) == FakeTreeGenerator.generate(p).map(\.contents))
    }

    @Test func everyDefaultFitsItsType() throws {
        let tree = try decodedTree(FakeTreeGenerator.generate(FakeTreeParameters(seed: 11, releases: 2, models: 30, variables: 60)))
        var types = Set<VariableType>()
        var withDefault = 0, mandatory = 0, total = 0
        for content in tree.releases.values {
            for model in content.models.values {
                var names = Set<String>()
                for variable in model.variables {
                    total += 1
                    types.insert(variable.type)
                    #expect(names.insert(variable.name).inserted, "duplicate \(variable.name) in \(model.name)")
                    #expect(EntityName.isValid(variable.name))
                    if variable.mandatory { mandatory += 1 }
                    if let value = variable.defaultValue {
                        withDefault += 1
                        #expect(variable.type.problem(with: value, choices: variable.choices ?? []) == nil, "\(model.name).\(variable.name) = \(value)")
                    }
                    #expect((variable.type == .choice) == (variable.choices != nil))
                }
            }
        }
        #expect(types == Set(VariableType.allCases))
        #expect(withDefault > total / 2 && withDefault < total)
        #expect(mandatory > 0 && mandatory < total / 2)
    }

    @Test func inheritanceIsAcyclicAndRealistic() throws {
        let tree = try decodedTree(FakeTreeGenerator.generate(FakeTreeParameters(seed: 5, releases: 2, models: 200, variables: 20)))
        for content in tree.releases.values {
            let models = content.models
            #expect(models["eolebase"]?.parent == nil)
            #expect(models["amon"]?.parent == "eolebase")
            #expect(models["eclair"]?.parent == "scribe")
            #expect(models["module-0001"] != nil)
            var fromEolebase = 0, maxDepth = 0, redefinitions = 0, childVariables = 0
            for model in models.values where model.name != "eolebase" {
                let parentName = try #require(model.parent, "\(model.name) has no parent")
                let parent = try #require(models[parentName], "parent \(parentName) of \(model.name) is missing")
                if parentName == "eolebase" { fromEolebase += 1 }
                // Walk up: reaches eolebase without a cycle, within depth 4.
                var depth = 1, current = parent
                var seen: Set<String> = [model.name]
                while let next = current.parent {
                    #expect(seen.insert(current.name).inserted, "cycle through \(current.name)")
                    current = try #require(models[next])
                    depth += 1
                    if depth > 10 { break }
                }
                #expect(current.name == "eolebase")
                maxDepth = max(maxDepth, depth)
                // Redefinitions: same name as a parent's variable, same type.
                let inherited = Dictionary(uniqueKeysWithValues: parent.variables.map { ($0.name, $0) })
                for variable in model.variables {
                    childVariables += 1
                    if let original = inherited[variable.name] {
                        redefinitions += 1
                        #expect(original.type == variable.type)
                    }
                }
                for service in model.services { #expect(content.services[service] != nil) }
            }
            #expect(fromEolebase > models.count / 3)
            #expect(maxDepth >= 3 && maxDepth <= 4)
            #expect(redefinitions * 100 >= childVariables * 5 && redefinitions * 100 <= childVariables * 20)
            #expect(InheritanceCycles.find(parents: models.mapValues(\.parent)).isEmpty)
        }
    }

    @Test func servicesDependOnlyOnEarlierOnes() throws {
        let tree = try decodedTree(FakeTreeGenerator.generate(FakeTreeParameters(seed: 9, releases: 6, models: 3, variables: 2)))
        for content in tree.releases.values {
            for service in content.services.values {
                for dependency in service.depends { #expect(content.services[dependency] != nil) }
                #expect(!service.packages.isEmpty)
            }
            #expect(content.services["apache"] != nil)
        }
    }

    @Test func releasesSpreadOverVersions() throws {
        let tree = try decodedTree(FakeTreeGenerator.generate(FakeTreeParameters(seed: 1, releases: 7, models: 1, variables: 1)))
        #expect(tree.releases.keys.sorted() == ["2.7.0", "2.7.1", "2.7.2", "2.8.0", "2.8.1", "2.8.2", "2.9.0"])
        #expect(tree.versions.keys.sorted() == ["2.7", "2.8", "2.9"])
        #expect(tree.releases["2.9.0"]?.release?.status == .testing)
        #expect(tree.releases["2.8.0"]?.release?.status == .oldstable)
        #expect(tree.releases["2.7.0"]?.release?.status == .eol)
        for content in tree.releases.values { #expect(DateSyntax.isDate(content.release!.date)) }
    }
}

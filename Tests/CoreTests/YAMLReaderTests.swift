import Testing
@testable import ZephirCore

@Suite struct YAMLReaderTests {
    func read(_ text: String, limits: YAMLLimits = .default) throws(YAMLError) -> YAMLNode {
        try YAMLReader(limits: limits).read(Array(text.utf8))
    }

    @Test func readsMappingsInOrderWithLines() throws {
        let node = try read("b: 1\na:\n  - x\n  - 'y'\n")
        guard case .mapping(let pairs, _) = node else { Issue.record("not a mapping"); return }
        #expect(pairs.map(\.key.text) == ["b", "a"])
        #expect(pairs[1].key.mark.line == 2)
        guard case .sequence(let items, _) = pairs[1].value, case .scalar(let quoted) = items[1] else { Issue.record("not a list"); return }
        #expect(quoted.text == "y" && !quoted.isPlain)
    }

    @Test func refusesAliasesAndAnchors() {
        #expect(throws: YAMLError.aliasNotAllowed(at: YAMLMark(line: 1, column: 4))) { try read("a: &x 1\nb: *x\n") }
        // The billion-laughs shape is refused at its first anchor, before anything is expanded.
        let laughs = "a: &a [lol, lol]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\n"
        #expect(throws: YAMLError.self) { try read(laughs) }
    }

    @Test func refusesTags() {
        #expect(throws: YAMLError.tagNotAllowed("tag:yaml.org,2002:python/object", at: YAMLMark(line: 1, column: 4))) {
            try read("a: !!python/object x\n")
        }
    }

    @Test func refusesDuplicateKeys() {
        #expect(throws: YAMLError.duplicateKey("a", at: YAMLMark(line: 2, column: 1), first: YAMLMark(line: 1, column: 1))) {
            try read("a: 1\na: 2\n")
        }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: YAMLError.tooDeep(limit: 16, at: YAMLMark(line: 1, column: 17))) { try read(deep) }
    }

    @Test func refusesHugeScalars() {
        var limits = YAMLLimits.default
        limits.maxScalarBytes = 100
        #expect(throws: YAMLError.scalarTooLarge(limit: 100, at: YAMLMark(line: 1, column: 4))) {
            try read("a: " + String(repeating: "x", count: 101), limits: limits)
        }
    }

    @Test func refusesHugeDocumentsBeforeParsing() {
        var limits = YAMLLimits.default
        limits.maxDocumentBytes = 10
        #expect(throws: YAMLError.documentTooLarge(size: 11, limit: 10)) { try read("a: 12345678", limits: limits) }
    }

    @Test func refusesTooManyNodes() {
        var limits = YAMLLimits.default
        limits.maxNodes = 5
        #expect(throws: YAMLError.self) { try read("[1, 2, 3, 4, 5, 6]", limits: limits) }
    }

    @Test func refusesEmptyAndMultiDocumentFiles() {
        #expect(throws: YAMLError.notOneDocument(count: 0)) { try read("") }
        #expect(throws: YAMLError.notOneDocument(count: 2)) { try read("a: 1\n---\nb: 2\n") }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: YAMLError.self) { try YAMLReader().read([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) }
    }

    @Test func reportsSyntaxErrorsWithTheirLine() throws {
        do {
            _ = try read("a: 1\nb: [1, 2\nc: 3\n")
            Issue.record("accepted broken YAML")
        } catch {
            guard case .syntax = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.mark != nil)
        }
    }

    @Test func refusesNonScalarKeys() {
        #expect(throws: YAMLError.self) { try read("? [a, b]\n: 1\n") }
    }

    @Test(arguments: [
        ("", PlainScalar.null), ("~", .null), ("true", .bool(true)), ("False", .bool(false)), ("42", .int(42)),
        ("-7", .int(-7)), ("0x1f", .int(31)), ("2.7", .float), ("2.7.1", .string), ("yes", .string), ("192.168.0.1", .string),
    ])
    func resolvesPlainScalarsByTheCoreSchema(text: String, expected: PlainScalar) {
        #expect(PlainScalar.resolve(text) == expected)
    }
}

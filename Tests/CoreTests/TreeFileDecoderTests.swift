import Testing
@testable import ZephirCore

@Suite struct TreeFileDecoderTests {
    @Test func decodesEveryKindOfFile() throws {
        let decoder = TreeFileDecoder()
        #expect(try decoder.decode(path: "versions/2.7.yml", bytes: Array("name: 2.7\nlabel: EOLE 2.7\nend_of_support: 2028-06-30\n".utf8))
            == .version(Version(name: "2.7", label: "EOLE 2.7", endOfSupport: "2028-06-30")))
        #expect(try decoder.decode(path: "releases/2.7.1/release.yml", bytes: Array("name: 2.7.1\nversion: 2.7\nstatus: stable\ndate: 2025-01-31\n".utf8))
            == .release(Release(name: "2.7.1", version: "2.7", status: .stable, date: "2025-01-31")))
        #expect(try decoder.decode(path: "releases/2.7.1/applicationservices/eole-web.yml", bytes: Array("name: eole-web\npackages: [apache2]\ndepends: [eole-ssl]\n".utf8))
            == .service(release: "2.7.1", ApplicationService(name: "eole-web", packages: ["apache2"], depends: ["eole-ssl"])))
        let model = try decoder.decode(path: modelPath, bytes: Array("""
            name: amon
            parent: eolebase
            services: [eole-proxy]
            variables:
              port_ssh: {type: port, default: 2222, mandatory: true}
              mode: {type: choice, choices: [a, b], default: b}
              actif: {type: boolean, default: false}
            """.utf8))
        #expect(model == .model(release: "2.7.1", ServerModel(name: "amon", parent: "eolebase", services: ["eole-proxy"], variables: [
            Variable(name: "port_ssh", type: .port, defaultValue: "2222", mandatory: true),
            Variable(name: "mode", type: .choice, defaultValue: "b", choices: ["a", "b"]),
            Variable(name: "actif", type: .boolean, defaultValue: "false"),
        ])))
    }

    @Test(arguments: [
        "tree.yml", "versions/2.7.yaml", "versions/sub/2.7.yml", "releases/2.7.1/other/x.yml", "releases/2.7.1/release.yaml",
        "releases/2.7.1/servermodels/Amon.yml", "releases/../x/release.yml", "../versions/2.7.yml", "/versions/2.7.yml",
        "releases/BAD/release.yml", "releases/2.7.1/servermodels/.hidden.yml",
    ])
    func refusesFilesOutsideTheLayout(path: String) {
        guard case .unexpectedFile? = decodeProblem(path, "name: x\n") else { Issue.record("\(path) accepted"); return }
    }

    @Test func refusesATopLevelThatIsNotAMapping() {
        #expect(decodeProblem("versions/2.7.yml", "- a\n- b\n") == .notAMapping(found: "a list"))
    }

    @Test func refusesUnknownKeysWithTheirLine() {
        let error = decodeError("versions/2.7.yml", "name: 2.7\nlabel: x\ncolour: blue\n")
        #expect(error?.problem == .unknownKey("colour", allowed: ["name", "label", "end_of_support"]))
        #expect(error?.line == 3)
        #expect(error?.description.hasPrefix("versions/2.7.yml:3: unknown key 'colour'") == true)
    }

    @Test func refusesUnknownKeysInsideVariables() {
        #expect(decodeProblem(modelPath, modelWithVariable("type: string\nvalue: x")) == .unknownKey("value", allowed: ["type", "default", "mandatory", "description", "choices"]))
    }

    @Test func refusesMissingRequiredKeys() {
        #expect(decodeProblem("versions/2.7.yml", "name: 2.7\n") == .missingKey("label"))
        #expect(decodeProblem("releases/2.7.1/release.yml", "name: 2.7.1\nversion: 2.7\nstatus: stable\n") == .missingKey("date"))
        #expect(decodeProblem(modelPath, modelWithVariable("default: x")) == .missingKey("type"))
    }

    @Test func refusesWrongTypes() {
        #expect(decodeProblem("versions/2.7.yml", "name: [2.7]\nlabel: x\n") == .wrongType(key: "name", expected: "a text value", found: "a list"))
        #expect(decodeProblem(modelPath, "name: amon\nservices: eole-web\n") == .wrongType(key: "services", expected: "a list", found: "a string"))
        #expect(decodeProblem(modelPath, "name: amon\nvariables: [a, b]\n") == .wrongType(key: "variables", expected: "a mapping of variable names to variables", found: "a list"))
        #expect(decodeProblem(modelPath, modelWithVariable("type: string\nmandatory: yes")) == .wrongType(key: "mandatory", expected: "true or false", found: "a string"))
        #expect(decodeProblem(modelPath, "name: amon\ndescription: true\n") == .wrongType(key: "description", expected: "a text value", found: "a boolean"))
        #expect(decodeProblem(modelPath, "name: amon\nvariables:\n  v: string\n") == .wrongType(key: "variables.v", expected: "a mapping", found: "a string"))
    }

    @Test func refusesANameThatDoesNotMatchItsFile() {
        let error = decodeError(modelPath, "name: scribe\n")
        #expect(error?.problem == .nameMismatch(name: "scribe", expected: "amon"))
        #expect(error?.line == 1)
    }

    @Test func refusesInvalidNames() {
        #expect(decodeProblem(modelPath, "name: amon\nparent: Eole Base\n") == .invalidName(key: "parent", value: "Eole Base"))
        #expect(decodeProblem(modelPath, "name: amon\nservices: [eole_web, -x]\n") == .invalidName(key: "services", value: "-x"))
        #expect(decodeProblem(modelPath, "name: amon\nvariables:\n  Port: {type: port}\n") == .invalidName(key: "variables", value: "Port"))
        #expect(decodeProblem("releases/2.7.1/release.yml", "name: 2.7.1\nversion: V2\nstatus: stable\ndate: 2025-01-01\n") == .invalidName(key: "version", value: "V2"))
    }

    @Test func refusesDuplicateListItems() {
        #expect(decodeProblem(modelPath, "name: amon\nservices: [a, b, a]\n") == .duplicateItem(key: "services", value: "a"))
        #expect(decodeProblem(modelPath, modelWithVariable("type: choice\nchoices: [x, x]")) == .duplicateItem(key: "choices", value: "x"))
    }

    @Test func refusesInvalidStatusesAndDates() {
        #expect(decodeProblem("releases/2.7.1/release.yml", "name: 2.7.1\nversion: 2.7\nstatus: beta\ndate: 2025-01-01\n")
            == .invalidValue(key: "status", value: "beta", expected: "one of testing, stable, oldstable, eol"))
        #expect(decodeProblem("releases/2.7.1/release.yml", "name: 2.7.1\nversion: 2.7\nstatus: stable\ndate: 2025-02-30\n")
            == .invalidValue(key: "date", value: "2025-02-30", expected: "a date YYYY-MM-DD"))
        #expect(decodeProblem("versions/2.7.yml", "name: 2.7\nlabel: x\nend_of_support: soon\n")
            == .invalidValue(key: "end_of_support", value: "soon", expected: "a date YYYY-MM-DD"))
        #expect(decodeProblem(modelPath, modelWithVariable("type: text")) == .invalidValue(key: "type", value: "text", expected: "one of string, integer, boolean, ip, netmask, network, domain, port, choice"))
    }

    @Test(arguments: [
        ("integer", "abc"), ("integer", "\"12\""), ("integer", "1.5"), ("boolean", "\"true\""), ("boolean", "1"), ("boolean", "yes"),
        ("port", "0"), ("port", "65536"), ("port", "http"), ("ip", "192.168.1.300"), ("ip", "fe80::1::2"), ("ip", "true"),
        ("netmask", "255.0.255.0"), ("netmask", "255.255.255.256"), ("network", "192.168.0.1/24"), ("network", "10.0.0.0/33"),
        ("network", "10.0.0.0"), ("domain", "localhost"), ("domain", "-bad.fr"), ("domain", "a..fr"), ("string", "~"),
    ])
    func refusesADefaultThatDoesNotFitItsType(type: String, value: String) {
        guard case .invalidDefault(let variable, let t, _, _)? = decodeProblem(modelPath, modelWithVariable("type: \(type)\ndefault: \(value)")) else {
            Issue.record("\(type) accepted \(value)")
            return
        }
        #expect(variable == "v" && t.rawValue == type)
    }

    @Test(arguments: [
        ("integer", "-3", "-3"), ("port", "65535", "65535"), ("boolean", "true", "true"), ("ip", "10.0.0.1", "10.0.0.1"),
        ("ip", "\"fd00::1\"", "fd00::1"), ("ip", "\"::ffff:10.0.0.1\"", "::ffff:10.0.0.1"), ("netmask", "255.255.240.0", "255.255.240.0"),
        ("network", "10.1.0.0/16", "10.1.0.0/16"), ("network", "\"fd00::/8\"", "fd00::/8"), ("domain", "ac-dijon.fr", "ac-dijon.fr"),
        ("string", "42", "42"), ("string", "\"a: b\"", "a: b"),
    ])
    func acceptsADefaultThatFits(type: String, value: String, canonical: String) throws {
        let file = try TreeFileDecoder().decode(path: modelPath, bytes: Array(modelWithVariable("type: \(type)\ndefault: \(value)").utf8))
        guard case .model(_, let model) = file else { Issue.record("not a model"); return }
        #expect(model.variables.first?.defaultValue == canonical)
    }

    @Test func checksChoiceDefaultsAgainstChoices() {
        guard case .invalidDefault? = decodeProblem(modelPath, modelWithVariable("type: choice\nchoices: [a, b]\ndefault: c")) else {
            Issue.record("accepted a default outside the choices"); return
        }
    }

    @Test func requiresChoicesForChoiceOnly() {
        guard case .invalidChoices? = decodeProblem(modelPath, modelWithVariable("type: choice")) else { Issue.record("choice without choices"); return }
        guard case .invalidChoices? = decodeProblem(modelPath, modelWithVariable("type: choice\nchoices: []")) else { Issue.record("empty choices"); return }
        guard case .invalidChoices? = decodeProblem(modelPath, modelWithVariable("type: string\nchoices: [a]")) else { Issue.record("choices on string"); return }
    }

    @Test func refusesAModelThatIsItsOwnParent() {
        #expect(decodeProblem(modelPath, "name: amon\nparent: amon\n") == .inheritanceCycle(release: "2.7.1", models: ["amon"]))
    }

    @Test func wrapsYAMLErrorsWithFileAndLine() {
        let error = decodeError(modelPath, "name: amon\nname: amon\n")
        #expect(error?.line == 2)
        guard case .yaml(.duplicateKey)? = error?.problem else { Issue.record("not a duplicate key error"); return }
    }
}

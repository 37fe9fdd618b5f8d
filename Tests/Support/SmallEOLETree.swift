/// The smallest valid EOLE-like tree the trust and carrier tests publish: one version, one
/// release, one application service and two server models, `amon` deriving from `eolebase`.
/// `amonDefault` (a choice among strict, souple, aucun) is what a test changes to make a new
/// version. Path → YAML.
public func smallEOLETree(amonDefault: String = "souple") -> [String: String] {
    [
        "versions/2.7.yml": "name: \"2.7\"\nlabel: EOLE 2.7\n",
        "releases/2.7.1/release.yml": "name: 2.7.1\nversion: \"2.7\"\nstatus: stable\ndate: \"2025-02-12\"\n",
        "releases/2.7.1/applicationservices/eole-web.yml": "name: eole-web\npackages: [apache2]\n",
        "releases/2.7.1/servermodels/eolebase.yml": """
            name: eolebase
            services: [eole-web]
            variables:
              nom_machine: {type: string, default: "eolebase", mandatory: true}
              port_ssh: {type: port, default: 22}

            """,
        "releases/2.7.1/servermodels/amon.yml": """
            name: amon
            parent: eolebase
            variables:
              mode_filtrage: {type: choice, choices: [strict, souple, aucun], default: \(amonDefault)}

            """,
    ]
}

import ArgumentParser
import ZephirCore

struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Creates an Ed25519 key pair for signing bundles.",
        discussion: """
        Writes PREFIX.key (the private seed, mode 0600: keep it secret, offline if you can) and PREFIX.pub (the public key, `ed25519:BASE64`, to give to the operators who trust you), then prints the key id. Never overwrites an existing key.

        Example:
          zephir-models keygen --out keys/eole-2026
        """
    )

    @Option(name: .long, help: ArgumentHelp("Path prefix of the two files to write.", valueName: "PREFIX"))
    var out: String

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        try await ExitStatus.guarded {
            let key = PrivateKey()
            try key.write(prefix: out)
            if json {
                Terminal.json(["keyid": key.publicKey.keyID, "private": out + ".key", "public": out + ".pub", "publicKey": key.publicKey.text])
            } else {
                Terminal.print(key.publicKey.keyID)
                Terminal.note("wrote \(out).key (secret, mode 0600) and \(out).pub (\(key.publicKey.text))")
            }
        }
    }
}

import Foundation

/// One read of a bundle archive, in order, checking each member as it comes (SPEC §5.2): the
/// head (`root/N.json`…, then `index.json`), answered member by member as the trust pipeline
/// asks for it, then the tree (`tree/…`), read once the index has verified.
///
/// Confined to the thread of its ``ArchiveTransport``.
final class ArchivePass {
    /// What the verified index allows in the tree part of the archive.
    struct TreePlan: Sendable {
        /// Every file the index lists, by path (without `tree/`).
        var files: [String: BundleIndex.File]
        /// The folders a member may name: `tree` and the folders of listed files (`tree/versions`, …).
        var folders: Set<String>
        /// The sum of the declared sizes.
        var declaredBytes: Int64

        init(files list: [BundleIndex.File]) {
            var files: [String: BundleIndex.File] = [:]
            var folders: Set<String> = ["tree"]
            var total: Int64 = 0
            for file in list {
                files[file.path] = file
                total += Int64(file.size)
                var folder = Substring("tree/" + file.path)
                while let slash = folder.lastIndex(of: "/") {
                    folder = folder[..<slash]
                    if !folders.insert(String(folder)).inserted { break }
                }
            }
            self.files = files
            self.folders = folders
            declaredBytes = total
        }

        /// The most bytes the tree part may unpack to: the files, and a generous allowance for
        /// their headers (a path of 1 KiB takes a pax header) and the end of the archive.
        var unpackedBound: Int64 { declaredBytes + Int64(files.count + folders.count + 4) * 8192 + (1 << 20) }
    }

    /// What reading the tree part found.
    struct TreeResult: Sendable {
        /// Spooled files: path (without `tree/`) → name in the spool.
        var spooled: [String: String] = [:]
        /// Every listed file the archive holds.
        var present: Set<String> = []
    }

    let reader: ArchiveReader
    var location: String { reader.location }
    /// The most bytes the head (roots and index) may hold.
    let maxHeadBytes: Int
    /// The head's members read so far, by name (each at most the limit it was read with, plus one byte).
    private(set) var held: [String: Data] = [:]
    /// A header read whose data is not consumed yet (the head reads no further than it needs).
    private var current: ArchiveReader.Member?
    /// `index.json`'s header was reached: no root follows.
    private var reachedIndex = false
    /// `index.json` was read whole: the tree part may be read.
    private(set) var indexRead = false
    /// Why reading on is refused (a member too large to go past, or a misplaced member).
    private var stopped: FetchError?
    private var ended = false
    private var headBytes = 0

    init(reader: ArchiveReader, maxHeadBytes: Int) {
        self.reader = reader
        self.maxHeadBytes = maxHeadBytes
    }

    // MARK: head

    /// At most `maxBytes + 1` bytes of `root/N.json` or `index.json`, reading the archive as far
    /// as that member and no further.
    /// - Throws: ``FetchError/notFound(url:)`` when the archive does not hold it (a root is
    ///   absent once `index.json` is reached), ``FetchError/malformedArchive(url:reason:)`` when
    ///   the head is not `root/…` then `index.json`.
    func head(_ name: String, maxBytes: Int) throws(FetchError) -> Data {
        if let data = held[name] { return data.prefix(maxBytes + 1) }
        if let stopped { throw stopped }
        let absent = FetchError.notFound(url: "\(location): \(name)")
        while true {
            if reachedIndex && (name != "index.json" || current == nil) { throw absent }
            if current == nil {
                if ended { throw absent }
                guard let member = try reader.next() else {
                    ended = true
                    throw absent
                }
                current = member
            }
            let member = current!
            let memberName = member.name ?? member.shownName
            if member.isDirectory && (memberName == "root" || memberName == "root/") {
                current = nil
                continue
            }
            let isRoot = RootChain.version(ofPath: memberName) != nil
            guard isRoot || memberName == "index.json" else {
                throw stop(because: "member \(member.shownName) comes before index.json; an archive starts with root/N.json (in version order) and index.json, so that they are verified before any tree member is read: the publisher must write it with `zephir-models publish --out`")
            }
            guard member.isRegularFile else {
                throw stop(because: "\(memberName) is a \(member.kind), not a regular file; the publisher must write the archive again with `zephir-models publish --out`")
            }
            if memberName == "index.json" {
                reachedIndex = true
                guard name == "index.json" else { throw absent }
            } else if held[memberName] != nil {
                throw stop(because: "\(memberName) appears twice; the publisher must write the archive again with `zephir-models publish --out`")
            }
            let limit = memberName == name ? max(maxBytes, TrustedRoot.maxBytes) : TrustedRoot.maxBytes
            let data = try readWhole(member, limit: limit)
            current = nil
            held[memberName] = data
            headBytes += data.count
            if data.count > limit {
                // Longer than allowed: the caller sees the extra byte and refuses it; going past the
                // rest would unpack what nobody asked for.
                stopped = .malformedArchive(url: location, reason: "\(memberName) is larger than the \(limit) bytes allowed; refused")
                if memberName != name { throw stopped! }
            } else if headBytes > maxHeadBytes {
                throw stop(because: "more than \(maxHeadBytes) bytes of root documents before index.json; refused")
            }
            if memberName == "index.json" { indexRead = data.count <= limit }
            if memberName == name { return data.prefix(maxBytes + 1) }
        }
    }

    /// Reads the head of a new pass (to reach the tree again), checking only its order.
    func skipHead() throws(FetchError) {
        while !reachedIndex {
            guard let member = try reader.next() else { throw stop(because: "index.json is missing; fetch or copy the archive again") }
            let name = member.name ?? member.shownName
            if member.isDirectory && (name == "root" || name == "root/") { continue }
            guard RootChain.version(ofPath: name) != nil || name == "index.json" else {
                throw stop(because: "member \(member.shownName) comes before index.json; the publisher must write the archive with `zephir-models publish --out`")
            }
            // Its data is skipped by the next header: never more than a head may hold.
            guard member.isRegularFile, let size = member.size, size <= Int64(maxHeadBytes) else {
                throw stop(because: "\(name) is not a regular file of at most \(maxHeadBytes) bytes; fetch or copy the archive again")
            }
            reachedIndex = name == "index.json"
        }
        indexRead = true
    }

    /// The current member's bytes, at most `limit + 1` of them.
    private func readWhole(_ member: ArchiveReader.Member, limit: Int) throws(FetchError) -> Data {
        var data = Data()
        data.reserveCapacity(Int(min(member.size ?? 4096, Int64(limit) + 1)))
        _ = try reader.read(upTo: limit + 1) { (piece: UnsafeRawBufferPointer) throws(FetchError) in data.append(contentsOf: piece) }
        return data
    }

    private func stop(because reason: String) -> FetchError {
        let error = FetchError.malformedArchive(url: location, reason: reason)
        stopped = error
        return error
    }

    // MARK: tree

    /// Reads the tree part, after `index.json`: every member must be a regular file `tree/PATH`
    /// (or a folder of one) with PATH listed in `plan`, at most once, no larger than declared.
    /// The members in `needed` are written to `spool`, the others skipped. With `only`, stops
    /// once that file is spooled.
    /// - Throws: ``TrustError`` for a member the index does not allow, ``FetchError`` when the
    ///   archive cannot be read.
    func readTree(_ plan: TreePlan, needed: Set<String>, spool: ArchiveSpool, only: String? = nil) throws -> TreeResult {
        guard indexRead, stopped == nil else {
            throw stopped ?? FetchError.malformedArchive(url: location, reason: "the tree was asked for before index.json was read; this is a bug")
        }
        let bound = reader.unpackedBytes + plan.unpackedBound
        var result = TreeResult()
        var folders: Set<String> = []
        while let member = try reader.next() {
            let name = member.name ?? member.shownName
            guard reader.unpackedBytes <= bound else { throw TrustError.tooLarge(what: "\(location): the archive unpacked", limit: Int(bound)) }
            let bare = member.isDirectory && name.hasSuffix("/") ? String(name.dropLast()) : name
            if bare == "index.json" { throw TrustError.archiveDuplicateMember(archive: location, member: name) }
            if RootChain.version(ofPath: bare) != nil {
                throw FetchError.malformedArchive(url: location, reason: "\(name) comes after index.json; roots come first, in version order: the publisher must write the archive with `zephir-models publish --out`")
            }
            guard member.name != nil, BundlePath.isNormalized(bare, maxBytes: 1024 + "tree/".count) else {
                throw TrustError.archiveUnsafeMember(archive: location, member: member.shownName)
            }
            if member.isDirectory {
                guard plan.folders.contains(bare) else {
                    if bare.hasPrefix("tree/"), plan.files[String(bare.dropFirst("tree/".count))] != nil {
                        throw TrustError.archiveMemberType(archive: location, member: name, type: member.kind)
                    }
                    throw TrustError.archiveUnlistedMember(archive: location, member: name)
                }
                guard folders.insert(bare).inserted else { throw TrustError.archiveDuplicateMember(archive: location, member: name) }
                continue
            }
            guard member.isRegularFile else { throw TrustError.archiveMemberType(archive: location, member: name, type: member.kind) }
            let path = String(name.dropFirst("tree/".count))
            guard name.hasPrefix("tree/"), let file = plan.files[path] else { throw TrustError.archiveUnlistedMember(archive: location, member: name) }
            guard result.present.insert(path).inserted else { throw TrustError.archiveDuplicateMember(archive: location, member: name) }
            if let size = member.size, size > Int64(file.size) {
                throw TrustError.archiveMemberTooLarge(archive: location, member: name, declared: file.size, actual: String(size))
            }
            if needed.contains(path) && (only == nil || only == path) {
                let (spooled, fd) = try spool.create()
                defer { close(fd) }
                let count = try reader.read(upTo: file.size + 1) { (piece: UnsafeRawBufferPointer) throws(FetchError) in try spool.append(piece, to: fd) }
                guard count <= file.size else {
                    throw TrustError.archiveMemberTooLarge(archive: location, member: name, declared: file.size, actual: "more")
                }
                result.spooled[path] = spooled
                if only == path { return result }
            } else if member.size == nil {
                // No size in the header: read through, never past the declared size.
                let count = try reader.read(upTo: file.size + 1) { (_: UnsafeRawBufferPointer) throws(FetchError) in }
                guard count <= file.size else {
                    throw TrustError.archiveMemberTooLarge(archive: location, member: name, declared: file.size, actual: "more")
                }
            } else {
                try reader.skipData()
            }
        }
        guard reader.unpackedBytes <= bound else { throw TrustError.tooLarge(what: "\(location): the archive unpacked", limit: Int(bound)) }
        ended = true
        return result
    }
}

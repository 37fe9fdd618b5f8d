import ArgumentParser
import Foundation
import ZephirCore
import ZephirOperations

/// The exit codes of SPEC §3, and the one place where errors become them.
enum ExitStatus {
    static let done: Int32 = 0
    static let partial: Int32 = 2
    static let nothingApplied: Int32 = 3
    static let usage: Int32 = 64
    static let invalidInput: Int32 = 65
    static let configuration: Int32 = 78
    /// A file the user asked for cannot be written (sysexits' EX_CANTCREAT).
    static let cantCreate: Int32 = 73
    /// A program this command needs is not installed (sysexits' EX_UNAVAILABLE): Graphviz's `dot`.
    static let unavailable: Int32 = 69

    static func code(for error: Error) -> Int32 {
        switch error {
        case PublishError.rootsForFolder:
            return usage
        case PublishError.destinationUnavailable(.badAuthFile):
            return invalidInput
        case PublishError.destinationUnavailable:
            return cantCreate
        case is TreeValidationError, is TreeError, is TrustError, is KeyError, is PublishError, is VerifyRejected, is RootWriteError:
            return invalidInput
        case let error as OCIPusher.PushError:
            // The registry refusing to store (quota, size, read-only, server error) is an output
            // that cannot be written; the tag's own content refusing the bundle is the input's fault.
            if case .refused = error { return cantCreate }
            return invalidInput
        case is DerivationError:
            return invalidInput
        case is OCIReference.Invalid:
            return usage
        case is ConfigError:
            return configuration
        case is AcknowledgementError:
            return usage
        case let error as SyncError:
            if case .unknownSource = error { return usage }
            return nothingApplied
        case let error as StoreError:
            switch error {
            case .alreadyExists: return invalidInput
            case .noSuchRun: return usage
            case .historyUnavailable: return invalidInput
            default: break
            }
            return nothingApplied
        case FetchError.badAuthFile:
            // verify --auth-file: a file given on the command line.
            return invalidInput
        case is FetchError, is MonitoringHTTPServer.ListenError:
            return nothingApplied
        case is FileOutputError, is KeyFileExists, is CocoaError, is ArchiveWriterError:
            return cantCreate
        case let error as Graphviz.Failure:
            return error == .notInstalled ? unavailable : 1
        default:
            return 1
        }
    }

    /// Runs `body`; on error prints `error: …` to stderr and exits with the mapped code.
    static func guarded(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch {
            Terminal.error(String(describing: error))
            throw ExitCode(code(for: error))
        }
    }
}

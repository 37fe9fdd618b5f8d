import Logging
import ZephirCore

/// Delivers pending notifications after a command that ran a sync; failures are warnings only.
enum Delivery {
    static func deliver(store: any ModelStore, quiet: Bool) async {
        var logger = Logger(label: "zephir-models.notify")
        logger.logLevel = .critical   // the summary below says what failed
        let summary = await Notifier(store: store, logger: logger).deliverPending()
        for error in summary.errors { Terminal.warn(error) }
        if !quiet && summary.delivered > 0 { Terminal.note("notified \(summary.delivered) sink\(summary.delivered == 1 ? "" : "s")") }
    }
}

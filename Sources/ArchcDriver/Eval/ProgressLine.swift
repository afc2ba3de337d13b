import Foundation

/// The progress bar `archc eval` draws on a terminal: images done, images/s and ETA.
public enum ProgressLine {
    public static func text(done: Int, total: Int, seconds: Double, width: Int = 30) -> String {
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + "\(done)/\(total) images  " + String(format: "%.1f images/s  ETA %@", rate, clock(eta))
    }

    /// h:mm:ss or m:ss.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

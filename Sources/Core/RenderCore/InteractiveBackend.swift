/// An input event from the terminal.
public enum InputEvent: Sendable, Hashable {
    case key(Key)
    case resize
}

/// A backend a program runs on interactively: it draws like any
/// `TerminalBackend`, reads input with a timeout, takes a theme and gives
/// the terminal back. ncurses in the app; a scripted one in the tests.
public protocol InteractiveBackend: TerminalBackend {
    /// Whether wide characters and line drawing can be shown.
    var unicode: Bool { get }
    var colorCount: Int { get }
    /// How long `readEvent` waits for input, in milliseconds (0: not at all).
    func setInputTimeout(millis: Int)
    /// One input event, waiting at most the input timeout.
    func readEvent() -> InputEvent?
    mutating func setTheme(_ theme: Theme)
    /// Restores the terminal. Safe to call twice.
    mutating func shutdown()
}

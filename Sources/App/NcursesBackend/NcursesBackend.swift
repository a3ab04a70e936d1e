import CNcurses
import RenderCore

#if canImport(Glibc)
    import Glibc
#endif

/// What the terminal can show.
public enum ColorMode: Sendable, Hashable {
    /// Whatever the terminal has: true colour, 256 or 16.
    case auto
    /// No colour at all (`NO_COLOR`, `--no-color`): meaning stays in symbols
    /// and attributes (bold, reverse, underline).
    case off
}

/// The ncurses backend: the only code that calls curses, always from the one
/// thread that created it. It copies RenderCore's changed cells to the
/// screen, resolving semantic slots to colours through the theme and
/// allocating colour pairs itself.
public struct NcursesBackend: InteractiveBackend {
    public private(set) var theme: Theme
    public let colorMode: ColorMode
    /// Whether the locale is UTF-8 (wide characters and line drawing work).
    public let unicode: Bool
    private var colorsAvailable: Int32 = 0
    private var pairs: [PairKey: Int32] = [:]
    private var nextPair: Int32 = 1
    /// Resolved (attributes, pair) per slot and modifiers, filled lazily.
    private var cache: [Int: (attr_t, Int32)] = [:]
    private var active = false
    /// Set when started on a given device (`newterm`), nil on the process's terminal.
    private var screen: OpaquePointer?
    private var files: (UnsafeMutablePointer<FILE>, UnsafeMutablePointer<FILE>)?

    struct PairKey: Hashable {
        var fg: Int32
        var bg: Int32
    }

    /// Starts curses on the process's terminal. Call `shutdown()` on every way out.
    public init(theme: Theme, colorMode: ColorMode) {
        setlocale(LC_ALL, "")
        unicode = NcursesBackend.localeIsUTF8()
        self.theme = theme
        self.colorMode = colorMode
        set_escdelay(25)
        initscr()
        setUp()
    }

    /// Starts curses on another terminal device (a pseudo-terminal, for the
    /// benchmark): `newterm` with terminal type `type` on duplicates of the
    /// two descriptors, which stay the caller's. Nil when curses refuses.
    public init?(theme: Theme, colorMode: ColorMode, type: String, inputFD: Int32, outputFD: Int32) {
        setlocale(LC_ALL, "")
        unicode = NcursesBackend.localeIsUTF8()
        self.theme = theme
        self.colorMode = colorMode
        let inFD = dup(inputFD)
        let outFD = dup(outputFD)
        guard let input = fdopen(inFD, "r"), let output = fdopen(outFD, "w") else {
            close(inFD)
            close(outFD)
            return nil
        }
        guard let s = newterm(type, output, input) else {
            fclose(input)
            fclose(output)
            return nil
        }
        set_term(s)
        screen = s
        files = (input, output)
        set_escdelay(25)
        setUp()
    }

    private static func localeIsUTF8() -> Bool {
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        return codeset.uppercased().filter { $0 != "-" } == "UTF8"
    }

    private mutating func setUp() {
        raw()
        noecho()
        nonl()
        keypad(cd_stdscr(), true)
        curs_set(0)
        wtimeout(cd_stdscr(), 30)
        if colorMode == .auto, has_colors() {
            start_color()
            use_default_colors()
            colorsAvailable = cd_colors()
        }
        active = true
    }

    public var size: Size { Size(width: Int(cd_getmaxx()), height: Int(cd_getmaxy())) }

    public var colorCount: Int { Int(colorsAvailable) }

    /// Ends curses and restores the terminal. Safe to call twice.
    public mutating func shutdown() {
        guard active else { return }
        active = false
        curs_set(1)
        endwin()
        if let screen {
            delscreen(screen)
            self.screen = nil
        }
        if let (input, output) = files {
            fclose(input)
            fclose(output)
            files = nil
        }
    }

    public mutating func setTheme(_ t: Theme) {
        theme = t
        cache = [:]
    }

    public mutating func clear() {
        erase()
    }

    public mutating func flush() {
        refresh()
    }

    public mutating func draw(_ changes: [CellChange]) {
        var wchars = [wchar_t](repeating: 0, count: 6)
        for change in changes {
            let cell = change.cell
            let (attrs, pair) = resolve(cell.style)
            var n = 0
            for scalar in cell.symbol.unicodeScalars where n < 5 {
                var v = scalar.value
                if !unicode && v > 0x7E { v = 0x3F }  // "?" where the locale cannot show it
                wchars[n] = wchar_t(bitPattern: v)
                n += 1
            }
            wchars[n] = 0
            _ = wchars.withUnsafeBufferPointer { p in
                cd_put(Int32(change.y), Int32(change.x), p.baseAddress, attrs, pair)
            }
        }
    }

    /// How long `readEvent` waits for input, in milliseconds (0: not at all).
    public func setInputTimeout(millis: Int) {
        wtimeout(cd_stdscr(), Int32(clamping: max(0, millis)))
    }

    /// Reads one input event, waiting at most the input timeout (30 ms at start).
    public func readEvent() -> InputEvent? {
        var ch: wint_t = 0
        let r = cd_get(&ch)
        if r == ERR { return nil }
        let code = Int32(bitPattern: UInt32(ch))
        if r == cd_key_code_yes() {
            switch code {
            case cd_key_resize(): return .resize
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_BTAB: return .key(.backTab)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_ENTER: return .key(.enter)
            default: return nil
            }
        }
        switch code {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        case 1...26:
            guard let s = Unicode.Scalar(UInt32(code) + 96) else { return nil }
            return .key(.ctrl(Character(s)))
        default:
            guard code >= 32, let s = Unicode.Scalar(UInt32(code)) else { return nil }
            return .key(.char(Character(s)))
        }
    }

    // MARK: Colours

    private mutating func resolve(_ style: Style) -> (attr_t, Int32) {
        let key = Int(style.slot.rawValue) << 8 | Int(style.modifiers.rawValue)
        if let hit = cache[key] { return hit }
        let t = theme.style(style.slot)
        let mods = style.modifiers.union(t.modifiers)
        var attrs = cd_a_normal()
        if mods.contains(.bold) { attrs |= cd_a_bold() }
        if mods.contains(.dim) { attrs |= cd_a_dim() }
        if mods.contains(.reverse) { attrs |= cd_a_reverse() }
        if mods.contains(.underline) { attrs |= cd_a_underline() }
        if mods.contains(.blink) { attrs |= cd_a_blink() }
        var pair: Int32 = 0
        if colorMode == .auto, colorsAvailable > 0 {
            let fg = color(t.fg)
            let bg = color(t.bg)
            if fg != -1 || bg != -1 { pair = allocatePair(fg: fg, bg: bg) }
        }
        cache[key] = (attrs, pair)
        return (attrs, pair)
    }

    private mutating func allocatePair(fg: Int32, bg: Int32) -> Int32 {
        let key = PairKey(fg: fg, bg: bg)
        if let p = pairs[key] { return p }
        guard nextPair < cd_color_pairs() else { return 0 }
        let p = nextPair
        guard init_extended_pair(p, fg, bg) == OK else { return 0 }
        nextPair += 1
        pairs[key] = p
        return p
    }

    /// A theme colour as this terminal's colour number (-1: the terminal's own).
    private func color(_ c: ThemeColor) -> Int32 {
        switch c {
        case .terminal:
            return -1
        case .ansi(let n):
            return colorsAvailable >= 16 ? Int32(n) : Int32(n % 8)
        case .indexed(let i):
            if colorsAvailable >= 256 { return Int32(i) }
            return Int32(NcursesBackend.ansi16(forIndex: i) % UInt8(max(8, min(16, colorsAvailable))))
        case .rgb(let r, let g, let b):
            if colorsAvailable >= 0x1000000 { return Int32(r) << 16 | Int32(g) << 8 | Int32(b) }
            if colorsAvailable >= 256 { return Int32(NcursesBackend.cubeIndex(r, g, b)) }
            return Int32(NcursesBackend.ansi16(r, g, b) % UInt8(max(8, min(16, colorsAvailable))))
        }
    }

    /// The nearest entry of the 6x6x6 colour cube of the 256-colour palette.
    static func cubeIndex(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        func level(_ v: UInt8) -> UInt8 { v < 48 ? 0 : v < 115 ? 1 : (v - 35) / 40 }
        return 16 + 36 * level(r) + 6 * level(g) + level(b)
    }

    /// The nearest of the 16 ANSI colours.
    static func ansi16(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let bright = max(r, g, b) > 170
        var n: UInt8 = 0
        if r > 95 { n |= 1 }
        if g > 95 { n |= 2 }
        if b > 95 { n |= 4 }
        return bright ? n + 8 : n
    }

    static func ansi16(forIndex i: UInt8) -> UInt8 {
        if i < 16 { return i }
        if i >= 232 { return i < 244 ? 8 : 7 }
        let c = i - 16
        let scale: (UInt8) -> UInt8 = { $0 == 0 ? 0 : 55 + $0 * 40 }
        return ansi16(scale(c / 36), scale(c / 6 % 6), scale(c % 6))
    }
}

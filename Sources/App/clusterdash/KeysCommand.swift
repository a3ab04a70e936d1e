import ArgumentParser
import Dashboard

/// `clusterdash keys`: the key table, as in the README (Markdown).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Print the dashboard's keys (a Markdown table).")

    func run() {
        print(Keymap().markdownCheatSheet(), terminator: "")
    }
}

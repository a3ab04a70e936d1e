import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import RenderCore
import Testing

@Suite struct KeymapTests {
    @Test func noContextHasTwoActionsOnOneKey() {
        let conflicts = Keymap().conflicts
        #expect(conflicts.isEmpty, "\(conflicts.map { "\($0.0) in \($0.1): \($0.2) and \($0.3)" })")
    }

    @Test func noDestructiveActionOnControlKeysThatLookLikeOthers() {
        let destructive: Set<Action> = [.quit, .promote, .migrate, .cancelMigration, .confirm]
        for letter in ["d", "k", "m", "i", "h"] {
            for ctx in KeyContext.allCases {
                if let a = Keymap().action(for: .ctrl(Character(letter)), in: ctx) {
                    #expect(!destructive.contains(a), "Ctrl-\(letter) does \(a) in \(ctx)")
                }
            }
        }
        // Ctrl-C quits only from the dashboard itself.
        #expect(Keymap().action(for: .ctrl("c"), in: .normal) == .quit)
        #expect(Keymap().action(for: .ctrl("c"), in: .dialog) == nil)
    }

    @Test func everyActionOfTheBriefHasAKey() {
        let map = Keymap()
        let expected: [(Key, Action)] = [
            (.char("?"), .help), (.tab, .focusNext), (.backTab, .focusPrevious), (.char("j"), .down), (.char("k"), .up),
            (.down, .down), (.up, .up), (.char("g"), .top), (.char("G"), .bottom), (.enter, .drill), (.escape, .back),
            (.char("/"), .filter), (.char("p"), .promote), (.char("m"), .migrate), (.char("c"), .cancelMigration),
            (.char("s"), .snapshot), (.char("t"), .nextTheme), (.char("q"), .quit),
        ]
        for (key, action) in expected {
            #expect(map.action(for: key, in: .normal) == action, "\(key)")
        }
    }

    @Test func helpAndStatusComeFromTheTable() {
        let map = Keymap()
        let help = map.helpLines()
        #expect(help.count == map.bindings.count)
        #expect(help.contains { $0.keys == "p" && $0.help == "promote a replica" })
        let status = map.statusHints(.normal, pane: .migrations).map(\.help)
        #expect(status.contains("cancel"))
        #expect(!map.statusHints(.normal, pane: .nodes).map(\.help).contains("cancel"))
    }
}

import Testing
@Test func placeholderSim() { #expect(Bool(true)) }

"""The domain core: intake model, vocabulary, rule language, decision. Standard library only."""

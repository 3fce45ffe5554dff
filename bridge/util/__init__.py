"""Leaf plumbing every layer may use; nothing here imports the rest of the bridge."""

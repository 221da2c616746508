"""What a worked solution shows (paths or δ, tidied forms) and the published answers checked."""

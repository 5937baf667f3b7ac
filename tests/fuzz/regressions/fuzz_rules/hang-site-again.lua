site { rules = { "pack" } }

-- A pack that declares the site again.
site { rules = { "." }, body_limit = 2048 }

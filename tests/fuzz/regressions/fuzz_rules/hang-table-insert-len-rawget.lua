local t = {}
t[t] = 1 << 50
setmetatable(t, { __len = rawget })
table.insert(t, 1, 0)

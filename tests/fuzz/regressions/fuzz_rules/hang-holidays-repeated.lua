local t = {} for i = 1, 2000 do t[i] = "2026-01-01..2026-12-31" end
holidays "2026" { source = "x", off = t }

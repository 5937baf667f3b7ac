-- Special periods (特防期): deadlines tighten and the principal leader hears
-- of every incident (seed 004: 节假日和特殊时期值守).  Dates are this site's
-- choice; add each year's windows as they are announced.

period "national-day-2026" { from = "2026-09-30", to = "2026-10-08", tags = { "heightened" } }
period "two-sessions-2027" { from = "2027-03-03", to = "2027-03-15", tags = { "heightened" } }

-- The State Council's public holiday schedules (国务院办公厅关于部分节假日
-- 安排的通知): the days off (off) and the adjusted working weekends, 调休
-- (on).  Working-day deadlines ("10wd") and the move of a period's last day
-- off a holiday (民法典 art. 203) are counted with these.  A site adds its
-- regional holidays the same way, in its own file.
--
-- Dates in a year with no schedule here fall back to Monday-Friday, and the
-- daemon warns at start-up: add the new year's notice when it is published.

holidays "2025" {
  source = "国办发明电〔2024〕12号",
  off = {
    "2025-01-01",                   -- 元旦
    "2025-01-28..2025-02-04",       -- 春节
    "2025-04-04..2025-04-06",       -- 清明节
    "2025-05-01..2025-05-05",       -- 劳动节
    "2025-05-31..2025-06-02",       -- 端午节
    "2025-10-01..2025-10-08",       -- 国庆节、中秋节
  },
  on = {
    "2025-01-26", "2025-02-08",     -- 春节调休
    "2025-04-27",                   -- 劳动节调休
    "2025-09-28", "2025-10-11",     -- 国庆节、中秋节调休
  },
}

holidays "2026" {
  source = "国办发明电〔2025〕7号",
  off = {
    "2026-01-01..2026-01-03",       -- 元旦
    "2026-02-15..2026-02-23",       -- 春节
    "2026-04-04..2026-04-06",       -- 清明节
    "2026-05-01..2026-05-05",       -- 劳动节
    "2026-06-19..2026-06-21",       -- 端午节
    "2026-09-25..2026-09-27",       -- 中秋节
    "2026-10-01..2026-10-07",       -- 国庆节
  },
  on = {
    "2026-01-04",                   -- 元旦调休
    "2026-02-14", "2026-02-28",     -- 春节调休
    "2026-05-09",                   -- 劳动节调休
    "2026-09-20", "2026-10-10",     -- 国庆节调休
  },
}

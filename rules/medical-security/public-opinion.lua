-- 网络舆情 (online public opinion).
-- 000 四(一)2 研判预警: 对发现的舆情…迅速对舆情走势、风险级别进行评估，及时
--   报告局应急办启动应急预案。重大舆情务必立即上报，较大和一般舆情酌情适时上报.
-- 000 四(一)3 分级处置: 一般 — 相关科室及时解决网民诉求; 较大 — 相关科室密切
--   关注…妥善处置; 重大 — 局应急办提请领导小组研究制定处置方案，在市委网信办的
--   指导下组织网上网下同时处置.
-- 001 三(四): 及时报告局应急办启动应急预案…在"两会"及国庆假期等重要时间节点，
--   设专人24小时值班，密切关注网络舆情.  责任部门：综合办公室、医药服务处、
--   医保中心.
-- "迅速" has no figure: bl.AT_ONCE (1 hour) for the assessment.  The
-- baseline's bl-public-opinion adds the national 48 h response, and for
-- 重大 the 5 h release and 24 h press conference.
--
-- 重大舆情务必立即上报，较大和一般舆情酌情适时上报: the department's report to
-- the office is the report that opens the incident (on_open: office).  A
-- 重大 opinion goes further at once: the leading group, the principal and
-- 市委网信办 are told at the grade, and the office's own report to 市委网信办,
-- under whose guidance 重大 opinion is handled (四(一)3), is the obligation
-- of grade 2, due within bl.AT_ONCE ("立即": 1 hour) — owed from the
-- opening when the report says 重大, from the event that raises it to 重大
-- otherwise, and counted from that moment (from = "graded"): 重大舆情务必
-- 立即上报 is immediate from knowing the opinion is 重大, which nobody can
-- report before the assessment finds it so.  较大 and 一般 go to the responsible
-- departments; "酌情适时" sets no time, so they carry no such obligation.

procedure "ms-public-opinion" {
  title = "网络舆情突发事件",
  match = { category = "public_opinion" },
  on_open = { notify = { "office" } },             -- 及时报告局应急办
  obligations = {
    { id = "assessment",
      title = "迅速评估舆情走势、风险级别，报局应急办（000 四(一)2）",
      due = bl.AT_ONCE, met_by = { type = "assessment" },
      remind = { "30m" }, owner = "responsible", on_breach = "ms-chain" },
    ms.review(),
  },
  grades = {
    -- 重大舆情务必立即上报: the leading group, the principal, 市委网信办
    [1] = { notify = { "leadership", "principal", "netinfo" } },
    [2] = { notify = { "leadership", "principal", "netinfo" },
            obligations = {
              { id = "report-up",
                title = "重大舆情务必立即上报市委网信办（000 四(一)2、3）",
                due = bl.AT_ONCE, from = "graded",
                met_by = bl.forwarded("netinfo"),
                remind = { "30m" }, owner = "office", on_breach = "ms-chain" },
            } },
    -- 较大、一般: to the responsible department
    [3] = { notify = { "responsible" } },
    [4] = { notify = { "responsible" } },
  },
  -- 两会、国庆等重要时间节点: the 24-hour opinion watch hears of each one
  periods = { heightened = { notify = { "opinion-watch" } } },
}

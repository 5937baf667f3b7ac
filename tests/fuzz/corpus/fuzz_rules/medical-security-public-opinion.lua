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
-- baseline's bl-public-opinion adds the national 5 h / 24 h / 48 h response.

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
    [2] = { notify = { "leadership", "principal", "netinfo" } },
    -- 较大、一般: to the responsible department
    [3] = { notify = { "responsible" } },
    [4] = { notify = { "responsible" } },
  },
  -- 两会、国庆等重要时间节点: the 24-hour opinion watch hears of each one
  periods = { heightened = { notify = { "opinion-watch" } } },
}

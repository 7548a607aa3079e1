/** The console's stylesheet, built from the palette so the tested colours are the ones shown. */
import { PALETTE as C } from './palette.ts';

export const STYLE = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:12px 24px 40px;color:${C.text};background:${C.page}}
a{color:${C.link}} h1{font-size:22px;margin:4px 0 8px} h2{font-size:17px;margin:26px 0 8px} h3{font-size:15px;margin:14px 0 6px}
header{display:flex;justify-content:space-between;align-items:baseline;gap:16px;border-bottom:1px solid ${C.rule};margin-bottom:12px}
nav a{margin-right:16px;font-weight:600;text-decoration:none} nav a[aria-current=page]{color:${C.text};border-bottom:3px solid ${C.link}}
.muted{color:${C.muted}} .small{font-size:12px} .nowrap{white-space:nowrap}
.gate{border-radius:8px;padding:10px 16px;border:2px solid}
.gate.open{background:${C.passTint};border-color:${C.pass}} .gate.closed{background:${C.failTint};border-color:${C.fail}}
.gate strong{font-size:18px;letter-spacing:.04em} .gate p{margin:4px 0}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid ${C.rule};vertical-align:top}
th{background:${C.panel};font-weight:600} .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
caption{text-align:left;color:${C.muted};font-size:12px;padding:2px 0}
tbody th{font-weight:normal;background:none} tr.beyond td,tr.beyond th{background:${C.failTint}}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap;background:${C.neutralTint};color:${C.text}}
.pass{background:${C.passTint};color:${C.pass}} .fail,.failed{background:${C.failTint};color:${C.fail}}
.error{background:${C.errorTint};color:${C.error}} .queued,.running,.waiting{background:${C.activeTint};color:${C.active}}
.notice{padding:8px 12px;border-radius:6px;margin:8px 0;color:${C.text}} .notice.ok{background:${C.activeTint}} .notice.error{background:${C.failTint}}
.empty{padding:12px 16px;border:1px dashed ${C.muted};border-radius:8px;color:${C.muted};background:${C.panel}}
button,select{font:inherit;padding:5px 12px;border-radius:6px} select{border:1px solid ${C.muted};background:${C.page};color:${C.text}}
button{border:1px solid ${C.button};background:${C.button};color:${C.buttonText};cursor:pointer}
button:focus-visible,a:focus-visible,select:focus-visible{outline:3px solid ${C.text};outline-offset:2px}
form.inline{display:inline-flex;gap:8px;align-items:center;margin:0 16px 8px 0}
.check{border:1px solid ${C.rule};border-radius:8px;padding:2px 14px 10px;margin:10px 0}
figure{margin:8px 0 16px} figcaption{margin:4px 0;color:${C.text}}
svg{display:block;width:100%;height:auto} svg text{font:11px system-ui,sans-serif;fill:${C.muted}}
.chart .legacy{stroke:${C.legacy};fill:none;stroke-width:3.5} .chart .new{stroke:${C.new};fill:none;stroke-width:2;stroke-dasharray:6 3}
.chart .band{fill:${C.band}} .chart .axis{stroke:${C.muted};stroke-width:1} .chart .grid{stroke:${C.rule};stroke-width:1}
.chart .within{fill:${C.barWithin}} .chart .beyond{fill:${C.fail}} .chart .mark{fill:${C.fail};stroke:${C.page};stroke-width:1}
.chart .edge{stroke:${C.muted};stroke-width:1;fill:none}
.chart g.days rect{y:0;height:100%;fill:transparent} .chart g.days g:hover rect,.chart g.days g:focus rect{fill:${C.text};fill-opacity:.12}
.chart g.days g:focus{outline:none} .chart g.days g:focus rect{stroke:${C.text};stroke-width:1}
.legend{display:flex;gap:18px;flex-wrap:wrap;font-size:12px;color:${C.text};margin:4px 0}
.legend i{display:inline-block;width:22px;height:0;border-top:3px solid;vertical-align:middle;margin-right:6px}
.readout{min-height:1.5em;font-variant-numeric:tabular-nums}
.timeline .pass{fill:${C.pass};stroke:${C.pass}} .timeline .fail{fill:${C.fail};stroke:${C.fail}} .timeline .error{fill:${C.error};stroke:${C.error}}
.timeline .adhoc{fill:${C.page};stroke-width:2} .timeline .ignored{fill-opacity:.0;stroke-dasharray:2 2}
.timeline .bracket{stroke:${C.text};fill:none;stroke-width:1.5} .timeline text.label{fill:${C.text}}
.timeline .counted{stroke:${C.text};stroke-width:2;fill:none}
.pager{display:flex;gap:12px;align-items:center;font-size:13px;margin:4px 0}
.progress{display:inline-block;width:160px;height:10px;border:1px solid ${C.progress};border-radius:5px;background:${C.progressTrack};vertical-align:middle;overflow:hidden}
.progress span{display:block;height:100%;background:${C.progress}}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:22px} ul.tree{padding-left:0}
ul.tree li{margin:6px 0} ul.tree ul{border-left:2px solid ${C.rule};margin-left:8px}
.execution{border:1px solid ${C.rule};border-radius:6px;padding:6px 10px}
.execution .facts{display:flex;gap:18px;flex-wrap:wrap;font-size:13px;margin-top:2px}
.cause{margin:6px 0 0;padding:6px 8px;background:${C.failTint};border-radius:4px;white-space:pre-wrap;font:12px ui-monospace,monospace}
code{font:12px ui-monospace,monospace}
`;

package reports

// pageHTML is the report page. Everything is inline: the page must open
// from a CI artifact with no network, so no fonts, scripts or styles are
// fetched. The script only adds a time cursor shared by the drawings.
const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Headline}}</title>
<style>
:root{--ok:#1e8e3e;--bad:#d93025;--muted:#5f6368;--line:#dadce0;--bg:#fff;--fg:#202124}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600;margin-right:8px}
.verdict.ok{background:var(--ok)}.verdict.bad{background:var(--bad)}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:#f8f9fa}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
tr.fail td{background:#fce8e6}
.pass-mark{color:var(--ok);font-weight:700}.fail-mark{color:var(--bad);font-weight:700}
ul.failed li{margin:2px 0}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
pre{background:#f8f9fa;border:1px solid var(--line);padding:8px;overflow:auto}
svg.tl{width:100%;height:auto;display:block;font-size:11px;font-family:inherit}
svg .up{fill:#81c995}svg .down{fill:var(--bad)}
svg .outage,svg .outage-group{fill:#a50e0e;stroke:#5c0000;stroke-width:.5}
svg .outage-label{fill:#a50e0e;font-weight:600;font-size:10.5px}
svg .step-window.fault{fill:rgba(251,188,4,.20);stroke:#e37400;stroke-width:1}
svg .step-window.action{fill:rgba(66,133,244,.15);stroke:#1a73e8;stroke-width:1}
svg .step-band{fill:rgba(251,188,4,.14)}
svg .step-label{font-weight:600;fill:#3c4043}
svg .phase{fill:#f1f3f4}
svg .axis line{stroke:#9aa0a6}svg .axis text,svg .ytick{fill:var(--muted)}
svg line.grid{stroke:#eceff1}
svg .probe-name{font-weight:600;font-size:12px}
svg .plot-frame{fill:none;stroke:var(--line)}
svg path.latency{stroke:#1a73e8;stroke-width:1;fill:none}
svg path.value{stroke:#9334e6;stroke-width:1.5;fill:none}
svg .threshold{stroke-dasharray:5 3;stroke-width:1.2}
svg .deadline{stroke-dasharray:3 3;stroke-width:1.5}
svg .pass{stroke:var(--ok)}svg .fail{stroke:var(--bad)}
svg .goal-label{fill:#3c4043;font-size:10.5px}
svg circle.reached{fill:var(--ok)}
svg .cursor{stroke:#202124;stroke-width:.7;pointer-events:none}
svg .cursor-t{font-size:10.5px;fill:#202124;pointer-events:none}
.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:12px;height:12px;vertical-align:-2px;margin-right:4px;border:1px solid #0002}
.chart-title{margin:14px 0 2px;font-weight:600}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}
.kv div:nth-child(odd){color:var(--muted)}
svg.wf{width:100%;height:auto;display:block;font-size:11px;font-family:inherit}
svg .wf-label{fill:#3c4043}
svg .wf-bar.fault{fill:rgba(251,188,4,.35);stroke:#e37400}
svg .wf-bar.action{fill:rgba(66,133,244,.3);stroke:#1a73e8}
svg .wf-bar.action.failed{stroke:var(--bad);stroke-dasharray:4 2}
svg .wf-bar.within{fill:#1e8e3e}
svg .wf-bar.late{fill:#d93025}
svg .wf-bar.unreached{stroke:#d93025;stroke-dasharray:4 2}
svg .wf-bound{stroke:#202124;stroke-width:2}
svg .wf-bound-tip{fill:#202124}
svg .wf-status.good{fill:var(--ok);font-weight:600}
svg .wf-status.bad{fill:var(--bad);font-weight:700}
svg .wf-status.neutral{fill:var(--muted)}
svg .wf-none{fill:var(--bad);font-style:italic}
.trend-worse{color:var(--bad);font-weight:700}.trend-better{color:var(--ok);font-weight:700}
</style>
</head>
<body>
<header>
<h1><span class="verdict {{if .OK}}ok{{else}}bad{{end}}" id="verdict">{{.R.Status | printf "%s"}}</span>{{.R.Experiment}}</h1>
<div id="headline">{{.Headline}}</div>
{{with .R.Description}}<p class="muted">{{.}}</p>{{end}}
{{with .Labels}}<p class="muted">labels: {{join . ", "}}</p>{{end}}
{{with .R.Error}}<p><strong>Error:</strong> {{.}}</p>{{end}}
{{range .R.Aborts}}<p><strong>Aborted:</strong> {{.}}</p>{{end}}
</header>

{{if .Failed}}<section id="failed"><h2>Failed bounds</h2><ul class="failed">
{{range .Failed}}<li><strong>{{.Name}}</strong>: measured <strong>{{.Measured}}</strong>, bound <code>{{.Bound}}</code>{{with .Detail}} ({{.}}){{end}}</li>
{{end}}</ul></section>{{end}}

<section id="verdicts"><h2>Verifications</h2>
<table><thead><tr><th></th><th>verification</th><th>bound</th><th>measured</th><th>window</th><th>detail</th></tr></thead><tbody>
{{range .R.Verdicts}}<tr class="{{if .Passed}}pass{{else}}fail{{end}}"><td>{{if .Passed}}<span class="pass-mark">PASS</span>{{else}}<span class="fail-mark">FAIL</span>{{end}}</td><td>{{.Name}}</td><td><code>{{.Bound}}</code></td><td class="num">{{.Measured}}</td><td class="num muted">{{win $.R .Window}}</td><td class="muted">{{.Detail}}</td></tr>
{{end}}</tbody></table></section>

{{if .Waterfalls}}<section id="recovery"><h2>Recovery</h2>
<p class="legend muted">Seconds from each fault's inject, in the order things recovered. <span><i class="sw" style="background:rgba(251,188,4,.35)"></i>the fault</span><span><i class="sw" style="background:rgba(66,133,244,.3)"></i>an action</span><span><i class="sw" style="background:#1e8e3e"></i>reached within its bound</span><span><i class="sw" style="background:#d93025"></i>reached late</span><span><i class="sw" style="background:repeating-linear-gradient(45deg,#d93025 0 3px,#fce8e6 3px 6px)"></i>not reached by the last sample</span><span><i class="sw" style="background:#202124;width:3px"></i>the bound</span></p>
{{range .Waterfalls}}<div class="chart-title">{{.Title}}</div>
{{.SVG}}
{{end}}</section>

{{end}}<section id="timeline-section"><h2>Timeline</h2>
<p class="legend muted">Times in seconds from the method start. <span><i class="sw" style="background:rgba(251,188,4,.35)"></i>fault window</span><span><i class="sw" style="background:rgba(66,133,244,.3)"></i>action</span><span><i class="sw" style="background:#81c995"></i>probe up</span><span><i class="sw" style="background:#d93025"></i>a sample failed</span><span><i class="sw" style="background:#a50e0e"></i>outage (hover for details)</span><span><i class="sw" style="background:#f1f3f4"></i>steady-state checks</span></p>
{{.Timeline}}
</section>

<section id="charts"><h2>Probes over time</h2>
{{range .Charts}}<div class="chart-title">{{.Probe.Name}} <span class="muted">({{.Probe.Kind}}{{if .Counting}}: value, with reaches thresholds and deadlines{{else}}: latency of ok samples, min–max per pixel{{end}})</span></div>
{{.SVG}}
{{end}}
<table><thead><tr><th>probe</th><th>kind</th><th>every</th><th>samples</th><th>availability</th><th>longest outage</th><th>outages</th></tr></thead><tbody>
{{range .R.Probes}}<tr><td>{{.Name}}</td><td>{{.Kind}}</td><td class="num">{{secs .Every}}</td><td class="num">{{.Samples}}</td><td class="num">{{pct .Availability}}</td><td class="num">{{secs .MaxOutage}}</td><td class="num">{{.OutageCount}}</td></tr>
{{end}}</tbody></table>
<details><summary>Text timeline</summary><pre id="text-timeline">{{.TextTimeline}}</pre></details>
</section>

{{if .R.Hosts}}<section id="hosts"><h2>Hosts</h2>
<p class="muted">Times from a host are mapped onto this machine's clock (offset estimated from heartbeat round trips); the clock error bounds how far they may be off.</p>
<table><thead><tr><th>host</th><th>reached as</th><th>clock error</th><th>round trip</th><th>probes</th></tr></thead><tbody>
{{range .R.Hosts}}<tr><td>{{.Name}}</td><td>{{.Address}}</td><td class="num">{{clockErr .ClockError}}</td><td class="num">{{ms .RTT}}</td><td>{{join .Probes ", "}}</td></tr>
{{end}}</tbody></table></section>{{end}}

{{with .Cmp}}<section id="baseline"><h2>Compared with baseline {{.Baseline}}</h2>
<p>{{.Headline}}</p>
<table><thead><tr><th>measured</th><th>bound</th><th>baseline</th><th>this run</th><th>change</th><th></th></tr></thead><tbody>
{{range .Rows}}<tr class="trend-row {{.Trend}}"><td>{{.Name}}</td><td>{{with .Bound}}<code>{{.}}</code>{{end}}</td><td class="num">{{with .Baseline}}{{.Measured}}{{else}}—{{end}}</td><td class="num">{{with .Current}}{{.Measured}}{{else}}—{{end}}</td><td class="num">{{.ChangeText}}</td><td class="trend-{{.Trend}}">{{.Trend}}</td></tr>
{{end}}</tbody></table></section>{{end}}

<section id="plan"><h2>Plan</h2>
<table><thead><tr><th>step</th><th>kind</th><th>what</th><th>planned</th><th>revert</th><th>ran</th></tr></thead><tbody>
{{range .Steps}}<tr{{if .Error}} class="fail"{{end}}><td>{{.Name}}</td><td><code>{{.Kind}}</code></td><td>{{.Desc}}</td><td>{{.Planned}}</td><td>{{.Revert}}</td><td class="num">{{.Ran}}{{with .Error}}<br><span class="fail-mark">{{.}}</span>{{end}}</td></tr>
{{end}}</tbody></table>
<p><strong>Targets touched</strong> ({{len .R.Targets}}):</p>
<ul id="targets">{{range .R.Targets}}<li><code>{{target .}}</code></li>{{else}}<li class="muted">none recorded</li>{{end}}</ul>
</section>

<section id="environment"><h2>Environment</h2>
<div class="kv">
<div>run</div><div><code>{{.R.Run}}</code></div>
<div>experiment file</div><div><code>{{.R.File}}</code></div>
<div>started</div><div>{{.Started}}</div>
<div>duration</div><div>{{secs .R.Duration}} (method from T+0 to T{{printf "%+.3f" .R.MethodEnd}}s)</div>
<div>host</div><div>{{.R.Host}}</div>
<div>faultline</div><div>{{.R.Version}}</div>
<div>kernel</div><div>{{.R.Kernel}}</div>
{{if .R.Seed}}<div>seed</div><div>{{.R.Seed}}</div>{{end}}
<div>exit code</div><div>{{.R.Exit}}</div>
</div>
</section>
<script>
(function(){
  var svgs=[].slice.call(document.querySelectorAll("svg.tl")), NS="http://www.w3.org/2000/svg";
  svgs.forEach(function(s){
    var vb=s.viewBox.baseVal, l=document.createElementNS(NS,"line"), t=document.createElementNS(NS,"text");
    l.setAttribute("class","cursor");l.setAttribute("y1",0);l.setAttribute("y2",vb.height);l.style.display="none";
    t.setAttribute("class","cursor-t");t.setAttribute("y",10);t.style.display="none";
    s.appendChild(l);s.appendChild(t);s._c=[l,t];
    s.addEventListener("mousemove",function(e){
      var p=s.createSVGPoint();p.x=e.clientX;p.y=e.clientY;p=p.matrixTransform(s.getScreenCTM().inverse());
      var left=+s.dataset.left,w=+s.dataset.width,in_=p.x>=left&&p.x<=left+w;
      var sec=+s.dataset.t0+(p.x-left)/+s.dataset.pxPerS;
      svgs.forEach(function(o){o._c.forEach(function(el){el.style.display=in_?"":"none"});
        o._c[0].setAttribute("x1",p.x);o._c[0].setAttribute("x2",p.x);
        o._c[1].setAttribute("x",p.x+4);o._c[1].textContent="T"+(sec<0?"":"+")+sec.toFixed(3)+"s";});
    });
    s.addEventListener("mouseleave",function(){svgs.forEach(function(o){o._c.forEach(function(el){el.style.display="none"})})});
  });
  document.documentElement.setAttribute("data-ready",svgs.length);
})();
</script>
</body>
</html>
`

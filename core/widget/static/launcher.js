/* StoreChat launcher v1, loaded by loader.js when the page is idle (cached for
   a year by its content hash). With the launcher config (/widget/v1/config):
   - picks each A/B test's variant: a random number kept in localStorage per
     test ("storechat:ab:<id>", first-party storage only) mapped through the variants'
     weights by `pick`, so a visitor keeps theirs; the choices go with every
     event and the socket's hello (chat.js);
   - draws the launcher in a shadow root (its CSS comes checked from the server);
   - counts the load: one beacon to /widget/v1/events (a 404 is ignored);
   - fires the proactive triggers, each on its own condition, at most one per
     tab session: StoreChat("greet", <its index>) loads chat.js, which shows
     the trigger's message;
   - loads chat.js on the first click, on a trigger, or on the next page when
     the panel was open (sessionStorage). */
!function(w,d){var G=w.__storechat,o=G&&G.origin,D=G&&G.data,k,B={},L,n,l,
P=(u,v,t=0)=>(v.map(x=>t+=x.weight),u*=t,v.find(x=>(u-=x.weight)<0)||v[v.length-1]),
V=e=>navigator.sendBeacon(o+"/widget/v1/events",JSON.stringify({site_key:k,events:[e],ab:B})),
E=(t,g)=>g?d.createElementNS("http://www.w3.org/2000/svg",t):d.createElement(t),
A=(e,a,v)=>e.setAttribute(a,v);
if(!G||G.pick)return;k=D.siteKey||"";G.pick=P;G.ab=B;G.ev=V;
fetch(o+"/widget/v1/config?"+(G.u=new URLSearchParams({site_key:k,lang:D.locale||d.documentElement.lang||""}))).then(r=>r.ok&&r.json()).then(c=>{
if(!c)return;var h=E("div"),r=h.attachShadow({mode:"open"}),y=E("style"),b=E("button"),g=E("svg",1),p=E("path",1),u=c.launcher_text,z="storechat:t:"+k,
K=G.k=()=>{if(!L){L=1;var j=E("script");j.src=o+c.chat_js;j.onerror=()=>L=0;d.head.append(j)}};
try{l=localStorage;(c.ab||[]).map(e=>{var a="storechat:ab:"+e.id,v=P(+l[a]||(l[a]=Math.random()),e.variants);B[e.id]=v.key;v.value&&(u=v.value)})}catch(x){}
y.textContent=c.css;c.launcher_text=u;
b.className="L";u?b.append(u):A(b,"aria-label",c.open);A(b,"aria-expanded","false");
if(c.icon){A(p,"d",c.icon);g.append(p);b.prepend(g)}
G.cfg=c;G.root=r;G.button=b;
b.onclick=()=>w.StoreChat(L?"toggle":"open");
h.id="storechat";r.append(y,b);d.body.append(h);V({kind:"load"});
try{n=sessionStorage;n["storechat:o:"+k]&&K();
(c.triggers||[]).map((t,i)=>{var f=()=>n[z]||(n[z]=1,w.StoreChat("greet",i));
if(~location.href.indexOf(t.url||"")){
t.time>=0&&setTimeout(f,t.time*1e3);
t.scroll&&addEventListener("scroll",()=>scrollY+innerHeight>=d.documentElement.scrollHeight*t.scroll/100&&f());
t.exit&&matchMedia("(pointer:fine)").matches&&d.addEventListener("mouseout",e=>e.relatedTarget||e.clientY>0||f());
t.time>=0||t.scroll||t.exit||f()}})}catch(e){}
G.q.length&&K()}).catch(()=>0)}(window,document);

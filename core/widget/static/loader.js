/* StoreChat loader v1 */
!function(w,d){var s=d.currentScript||d.querySelector("script[data-site-key]"),S=w.StoreChat,q,D,o,L,K,n;
if(!s||S&&S.l)return;D=s.dataset;o=new URL(s.src).origin;q=S&&S.q||[];
S=w.StoreChat=function(){q.push(arguments);K&&K()};S.q=q;S.l=1;
function E(t,n){return n?d.createElementNS("http://www.w3.org/2000/svg",t):d.createElement(t)}
function A(e,k,v){e.setAttribute(k,v)}
function run(){fetch(o+"/widget/v1/config?site_key="+encodeURIComponent(D.siteKey||"")+"&lang="+encodeURIComponent(D.locale||d.documentElement.lang||"")).then(function(r){return r.ok&&r.json()}).then(function(c){
if(!c)return;var h=E("div"),r=h.attachShadow({mode:"open"}),y=E("style"),b=E("button"),g=E("svg",1),p=E("path",1),t=c.triggers,u=c.launcher_text,z="storechat:t:"+c.site_key,f;
y.textContent=c.css;
b.className="L";u?b.append(u):A(b,"aria-label",c.t.open);A(b,"aria-expanded","false");
if(c.icon){A(g,"viewBox","0 0 24 24");A(p,"d",c.icon);g.appendChild(p);b.prepend(g)}
K=function(){if(!L){L=1;w.__storechat={cfg:c,origin:o,root:r,button:b,data:D};var j=E("script");j.src=o+c.chat_js;j.onerror=function(){L=0};d.head.appendChild(j)}};
b.onclick=function(){w.StoreChat(L?"toggle":"open")};
h.id="storechat";r.append(y,b);d.body.appendChild(h);
try{n=sessionStorage;n["storechat:o:"+c.site_key]&&K();
if(t&&!n[z]&&~location.href.indexOf(t.url||"")){f=function(){n[z]||(n[z]=1,w.StoreChat("greet"))};
t.time>=0&&setTimeout(f,t.time*1e3);
t.scroll&&addEventListener("scroll",function(){scrollY+innerHeight>=d.documentElement.scrollHeight*t.scroll/100&&f()});
t.exit&&matchMedia("(pointer:fine)").matches&&d.addEventListener("mouseout",function(e){e.relatedTarget||e.clientY>0||f()});
t.time>=0||t.scroll||t.exit||f()}}catch(e){}
q.length&&K()})["catch"](function(){})}
function go(){w.requestIdleCallback?requestIdleCallback(run,{timeout:3e3}):setTimeout(run,300)}
d.readyState=="complete"?go():w.addEventListener("load",go)}(window,document);

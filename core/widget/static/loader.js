/* StoreChat loader v1 */
!function(w,d){var s=d.currentScript||d.querySelector("script[data-site-key]"),S=w.StoreChat,q,D,o,L,K;
if(!s||S&&S.l)return;D=s.dataset;o=new URL(s.src).origin;q=S&&S.q||[];
S=w.StoreChat=function(){q.push(arguments);K&&K()};S.q=q;S.l=1;
function E(t,n){return n?d.createElementNS("http://www.w3.org/2000/svg",t):d.createElement(t)}
function A(e,k,v){e.setAttribute(k,v)}
function run(){fetch(o+"/widget/v1/config?site_key="+encodeURIComponent(D.siteKey||"")).then(function(r){return r.ok&&r.json()}).then(function(c){
if(!c)return;if(D.locale)c.locale=D.locale;if(!/^#[\da-f]{3,8}$/i.test(c.color))c.color="#1f6feb";
var h=E("div"),r=h.attachShadow({mode:"open"}),y=E("style"),b=E("button"),g=E("svg",1),p=E("path",1);
y.textContent=":host{all:initial}.L{position:fixed;bottom:20px;"+(c.position=="left"?"left":"right")+":20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;padding:0;background:"+c.color+";color:#fff;cursor:pointer;box-shadow:0 4px 14px #0004;display:grid;place-items:center}svg{width:28px;fill:currentColor}";
A(g,"viewBox","0 0 24 24");A(p,"d","M3 4h18v13H9l-5 4v-4H3z");g.appendChild(p);
b.className="L";b.type="button";b.title=c.title||c.name;A(b,"aria-label","Open chat");A(b,"aria-expanded","false");b.appendChild(g);
K=function(){if(!L){L=1;w.__storechat={cfg:c,origin:o,root:r,button:b};var j=E("script");j.src=o+c.chat_js;j.onerror=function(){L=0};d.head.appendChild(j)}};
b.onclick=function(){w.StoreChat(L?"toggle":"open")};
h.id="storechat";r.append(y,b);d.body.appendChild(h);q.length&&K()})["catch"](function(){})}
function go(){w.requestIdleCallback?requestIdleCallback(run,{timeout:3e3}):setTimeout(run,300)}
d.readyState=="complete"?go():w.addEventListener("load",go)}(window,document);

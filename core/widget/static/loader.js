/* StoreChat loader v1: the one script a store's pages carry. It queues
   StoreChat(...) calls and, once the page is idle, loads launcher.js (named
   by its content hash, so cached for a year), which does the rest: the
   launcher, the A/B variants, the proactive triggers, and chat.js when it is
   wanted. It leaves on window.__storechat the script tag's data-* (`data`),
   StoreChat's origin (`origin`) and the queue (`q`). docs/widget.md says more. */
!function(w,d){var s=d.currentScript||d.querySelector("script[data-site-key]"),S=w.StoreChat,q,G;
if(!s||S&&S.l)return;q=S&&S.q||[];
S=w.StoreChat=function(){q.push(arguments);G.k&&G.k()};S.q=q;S.l=1;
G=w.__storechat={origin:new URL(s.src).origin,data:s.dataset,q:q};
function run(){var j=d.createElement("script");j.src=G.origin+"/widget/v1/launcher.js?v=LAUNCHER_VERSION";d.head.append(j)}
function go(){w.requestIdleCallback?requestIdleCallback(run,{timeout:3e3}):setTimeout(run,300)}
d.readyState=="complete"?go():w.addEventListener("load",go)}(window,document);

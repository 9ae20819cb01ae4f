/* Tandem's pages: Telegram Mini App sign-in and theme, without telegram-web-app.js.
 *
 * Telegram opens a Mini App with its data in the URL fragment (#tgWebAppData=…&tgWebAppThemeParams=…).
 * The sign-in form posts tgWebAppData to the server, which checks its signature; the theme colours
 * become CSS variables, kept for the next pages of this tab. Nothing is loaded from elsewhere.
 */
(function () {
  "use strict";
  var THEME_KEY = "tandem-theme";

  function fragment() {
    var params = {};
    (location.hash || "").replace(/^#/, "").split("&").forEach(function (pair) {
      if (!pair) return;
      var i = pair.indexOf("=");
      var key = decodeURIComponent(i < 0 ? pair : pair.slice(0, i));
      params[key] = i < 0 ? "" : decodeURIComponent(pair.slice(i + 1).replace(/\+/g, "%20"));
    });
    return params;
  }

  // Tell the Telegram client the page is ready and may take the whole height (its own bridge).
  function postEvent(type, data) {
    var payload = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy) { window.TelegramWebviewProxy.postEvent(type, payload); return; }
      if (window.external && "notify" in window.external) { window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} })); return; }
      if (window.parent !== window) { window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "https://web.telegram.org"); }
    } catch (e) { /* not inside Telegram */ }
  }

  var COLOURS = { bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
                  button_color: "--button", button_text_color: "--button-text", secondary_bg_color: "--bg-2" };

  function applyTheme(theme) {
    var root = document.documentElement.style;
    Object.keys(COLOURS).forEach(function (key) {
      if (typeof theme[key] === "string" && /^#[0-9a-fA-F]{3,8}$/.test(theme[key])) root.setProperty(COLOURS[key], theme[key]);
    });
    document.documentElement.classList.add("telegram");
  }

  var params = fragment();
  var theme = null;
  if (params.tgWebAppThemeParams) {
    try { theme = JSON.parse(params.tgWebAppThemeParams); sessionStorage.setItem(THEME_KEY, JSON.stringify(theme)); } catch (e) { theme = null; }
  } else {
    try { theme = JSON.parse(sessionStorage.getItem(THEME_KEY) || "null"); } catch (e) { theme = null; }
  }
  if (theme) applyTheme(theme);

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("mini-app-sign-in");
    if (form) {
      if (params.tgWebAppData) {
        document.getElementById("init-data").value = params.tgWebAppData;
        history.replaceState(null, "", location.pathname);  // the fragment carries the signed data: not into history
        form.submit();
      } else {
        document.getElementById("not-in-telegram").hidden = false;
      }
    }
    if (theme || params.tgWebAppData) { postEvent("web_app_ready"); postEvent("web_app_expand"); }
    // A <select data-auto-submit> shows its choice at once (the form's button stays for no-script).
    Array.prototype.forEach.call(document.querySelectorAll("select[data-auto-submit]"), function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();

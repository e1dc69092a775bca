/* rnncourse: the book on narrow screens (issue 19).
 *
 * 1. Display equations. MathJax 3 does not break lines, so a display equation wider than
 *    its column would need a sideways swipe. The long equations are split by hand in the
 *    lessons; after MathJax has typeset the page, any display equation still wider than its
 *    column is scaled down (font size, never below MIN_SCALE) to fit. At desktop width every
 *    equation fits and none is touched. Refitted when the window is resized.
 * 2. Figures. myst-nb gives a notebook image no alt text, and the HTML writer then uses the
 *    file's path (a hash ending in .png); an image in a figure gets the first sentence of
 *    the figure's caption instead, its formulas as text.
 *
 * When it is done, <html> gets data-rnncourse-math="fitted" (the browser test waits for it).
 */
(function () {
  "use strict";

  var MIN_SCALE = 0.65;

  function fitEquation(container) {
    // Undo an earlier fit, so that a wider window shows the equation at full size again.
    if (container.dataset.rnncourseScale) {
      container.style.fontSize = container.dataset.rnncourseFontSize;
      delete container.dataset.rnncourseScale;
      delete container.dataset.rnncourseFontSize;
    }
    var have = container.clientWidth;
    var need = container.scrollWidth;
    if (have === 0 || need <= have + 1) {
      return; // hidden (closed <details>, a drawer), or it fits
    }
    var scale = Math.max(MIN_SCALE, (have - 2) / need);
    container.dataset.rnncourseFontSize = container.style.fontSize;
    container.dataset.rnncourseScale = scale.toFixed(3);
    var size = parseFloat(window.getComputedStyle(container).fontSize);
    container.style.fontSize = (size * scale).toFixed(2) + "px";
  }

  function fitAll() {
    var containers = document.querySelectorAll('mjx-container[display="true"]');
    Array.prototype.forEach.call(containers, fitEquation);
    document.documentElement.dataset.rnncourseMath = "fitted";
  }

  // The text of a caption, with each typeset formula as its MathML text ("h3" for h_3).
  function plainText(node) {
    var copy = node.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("mjx-container"), function (math) {
      var mml = math.querySelector("mjx-assistive-mml");
      math.replaceWith(document.createTextNode(mml ? mml.textContent : ""));
    });
    return copy.textContent.replace(/\\[()]/g, "").replace(/\s+/g, " ").trim();
  }

  function captionImages() {
    var images = document.querySelectorAll("figure img");
    Array.prototype.forEach.call(images, function (img) {
      var alt = img.getAttribute("alt") || "";
      var src = img.getAttribute("src") || "";
      var isPath = alt === "" || alt === src || /\.(png|jpe?g|gif|svg)$/i.test(alt);
      var figure = img.closest("figure");
      // The caption's text, without its number ("Fig. 3.1") and its link sign.
      var caption = figure.querySelector("figcaption .caption-text") || figure.querySelector("figcaption");
      if (!isPath || !caption) {
        return;
      }
      var text = plainText(caption);
      // The first sentence is the alt text; the whole caption stays below the image.
      var first = text.match(/^(.{20,}?[.!?])(\s|$)/);
      if (text) {
        img.setAttribute("alt", first ? first[1] : text);
      }
    });
  }

  var resizeTimer = null;
  function onResize() {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(fitAll, 150);
  }

  function start() {
    var mj = window.MathJax;
    var ready = mj && mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
    var done = function () {
      captionImages();
      fitAll();
    };
    ready.then(done, done);
    window.addEventListener("resize", onResize);
    // An equation inside a closed <details> or a toggled cell has no width until it is shown.
    document.addEventListener("toggle", fitAll, true);
  }

  // MathJax is loaded with `defer` or `async`; by the window's load event it has started.
  if (document.readyState === "complete") {
    start();
  } else {
    window.addEventListener("load", start);
  }
})();

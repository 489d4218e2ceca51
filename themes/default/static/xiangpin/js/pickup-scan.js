/* Hand-over page: scan the customer's pickup QR code (or a printed 6-digit code)
   with the camera through the browser's BarcodeDetector, where there is one;
   otherwise the code is typed. The QR encodes the hand-over URL with ?code=. */
(function () {
    "use strict";
    var form = document.getElementById("hand_over_code_form");
    if (!form) { return; }
    var input = document.getElementById("id_code");
    var button = document.getElementById("scan_button");
    var area = document.getElementById("scan_area");
    var video = document.getElementById("scan_video");
    var stop = document.getElementById("scan_stop");
    var unsupported = document.getElementById("scan_unsupported");
    var stream = null;
    var timer = null;

    function codeFrom(text) {
        var match = /[?&]code=(\d{6})/.exec(text || "") || /^\s*(\d{6})\s*$/.exec(text || "");
        return match ? match[1] : null;
    }

    function stopScan() {
        if (timer) { clearTimeout(timer); timer = null; }
        if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
        area.hidden = true;
    }

    var canScan = "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
    if (!canScan) { unsupported.hidden = false; return; }
    button.hidden = false;

    button.addEventListener("click", function () {
        var detector;
        try {
            detector = new window.BarcodeDetector({formats: ["qr_code"]});
        } catch (error) {
            unsupported.hidden = false; button.hidden = true; return;
        }
        navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (media) {
            stream = media;
            video.srcObject = media;
            area.hidden = false;
            return video.play();
        }).then(function () {
            var look = function () {
                detector.detect(video).then(function (codes) {
                    for (var i = 0; i < codes.length; i++) {
                        var code = codeFrom(codes[i].rawValue);
                        if (code) {
                            stopScan();
                            input.value = code;
                            form.submit();
                            return;
                        }
                    }
                    timer = setTimeout(look, 250);
                }).catch(function () { timer = setTimeout(look, 500); });
            };
            look();
        }).catch(function () {
            stopScan();
            unsupported.hidden = false;
        });
    });
    stop.addEventListener("click", stopScan);
})();

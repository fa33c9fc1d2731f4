// Passkeys (WebAuthn) on the second step of the login and on the page "Zweiter Faktor": asks
// the server (django-otp-webauthn's JSON endpoints) for options, lets the browser create or
// use a passkey, and sends the answer back. Without this script the page still offers codes.
(function () {
  "use strict";

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBytes(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      user: Object.assign({}, options.user, { id: toBytes(options.user.id) }),
      excludeCredentials: withBytes(options.excludeCredentials),
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: toBytes(options.challenge),
      allowCredentials: withBytes(options.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") {
      return credential.toJSON();
    }
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return json;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function setUp(container) {
    var button = container.querySelector("[data-passkey-start]");
    var status = container.querySelector(".site-passkey__status");
    var tokenField = document.querySelector("input[name=csrfmiddlewaretoken]");
    var register = container.getAttribute("data-passkey") === "register";
    var text = function (name) {
      return container.getAttribute("data-text-" + name) || "";
    };
    if (!button || !status || !tokenField) {
      return;
    }
    if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) {
      status.textContent = text("unsupported");
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var token = tokenField.value;
      button.disabled = true;
      status.textContent = text("busy");
      post(container.getAttribute("data-begin-url"), token)
        .then(function (options) {
          return register
            ? navigator.credentials.create({ publicKey: creationOptions(options) })
            : navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (credential) {
          return post(container.getAttribute("data-complete-url"), token, credentialJSON(credential));
        })
        .then(function () {
          window.location.assign(container.getAttribute("data-next"));
        })
        .catch(function () {
          status.textContent = text("failed");
          button.disabled = false;
        });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-passkey]"), setUp);
})();

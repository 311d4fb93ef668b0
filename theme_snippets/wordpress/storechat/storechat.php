<?php
/**
 * Plugin Name:       StoreChat
 * Plugin URI:        https://github.com/storechat/storechat
 * Description:       Live chat and AI shopping assistant from your own StoreChat server: adds the chat widget to every page, tells it who is logged in, keeps the assistant current with your pages and posts, and connects the site and WooCommerce in one click.
 * Version:           0.1.0
 * Requires at least: 5.7
 * Requires PHP:      7.4
 * Author:            StoreChat
 * License:           AGPL-3.0-or-later
 * License URI:       https://www.gnu.org/licenses/agpl-3.0.html
 * Text Domain:       storechat
 * Domain Path:       /languages
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

define( 'STORECHAT_VERSION', '0.1.0' );
define( 'STORECHAT_FILE', __FILE__ );
define( 'STORECHAT_DIR', plugin_dir_path( __FILE__ ) );

require_once STORECHAT_DIR . 'includes/class-storechat-options.php';
require_once STORECHAT_DIR . 'includes/class-storechat-identity.php';
require_once STORECHAT_DIR . 'includes/class-storechat-loader.php';
require_once STORECHAT_DIR . 'includes/class-storechat-settings.php';
require_once STORECHAT_DIR . 'includes/class-storechat-admin-link.php';
require_once STORECHAT_DIR . 'includes/class-storechat-connect.php';
require_once STORECHAT_DIR . 'includes/class-storechat-notify.php';
require_once STORECHAT_DIR . 'includes/class-storechat-woocommerce.php';

register_activation_hook( __FILE__, array( 'StoreChat_Options', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'StoreChat_Options', 'deactivate' ) );

add_action(
	'plugins_loaded',
	static function () {
		load_plugin_textdomain( 'storechat', false, dirname( plugin_basename( STORECHAT_FILE ) ) . '/languages' );
		StoreChat_Loader::init();
		StoreChat_Settings::init();
		StoreChat_Admin_Link::init();
		StoreChat_Connect::init();
		StoreChat_Notify::init();
		// WooCommerce loads before or after us; by plugins_loaded it is there if it is active.
		if ( class_exists( 'WooCommerce' ) ) {
			StoreChat_WooCommerce::init();
		}
	}
);
